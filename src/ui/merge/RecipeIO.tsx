/**
 * The recipe as mergekit YAML: export what the sliders say (models named by the experts' names), import a
 * mergekit recipe onto the stored experts (one undo step). A bad file changes nothing and says why.
 */
import { useState } from 'react';
import { useUi } from '../context';
import { download } from '../download';
import { draftProblem, draftRecipe } from '../state/merge-draft';
import { importRecipeYaml, recipeFileName, recipeYaml } from './recipe-io';

export function RecipeIO() {
  const draft = useUi((s) => s.mergeDraft);
  const experts = useUi((s) => s.experts);
  const apply = useUi((s) => s.mergeApplyRecipe);
  const [note, setNote] = useState<{ kind: 'error' | 'ok'; lines: string[] } | null>(null);
  const problem = draftProblem(draft, experts, [{ dataset: '-', split: '-' }]);

  const exportYaml = () => {
    const recipe = draftRecipe(draft, experts);
    try {
      download(recipeFileName(recipe), recipeYaml(recipe, experts), 'application/yaml');
      setNote(null);
    } catch (e) {
      setNote({ kind: 'error', lines: [`The recipe could not be written: ${(e as Error).message}`] });
    }
  };

  const importYaml = async (file: File) => {
    let text: string;
    try {
      text = await file.text();
    } catch (e) {
      setNote({ kind: 'error', lines: [`${file.name} could not be read: ${(e as Error).message}`] });
      return;
    }
    const r = importRecipeYaml(text, file.name, experts);
    if (!r.ok) {
      setNote({ kind: 'error', lines: r.error.split('\n') });
      return;
    }
    apply(r.recipe, `import:${Date.now()}`);
    setNote({
      kind: 'ok',
      lines: [
        `${file.name}: ${r.recipe.method} of ${r.recipe.experts.map((e) => `"${e.name}"`).join(', ')} put on the sliders (Undo takes it back).`,
        ...r.warnings,
      ],
    });
  };

  return (
    <div className="merge-recipe-io">
      <button
        className="secondary small"
        data-testid="merge-export-yaml"
        disabled={problem !== null}
        title={
          problem ?? 'the recipe as mergekit YAML, for mergekit or the CLI (npm run stm -- merge --config)'
        }
        onClick={exportYaml}
      >
        Export recipe (mergekit YAML)
      </button>
      <label className="file-button">
        Import recipe…
        <input
          type="file"
          accept=".yml,.yaml,text/yaml,application/yaml"
          data-testid="merge-import-yaml"
          onChange={(e) => {
            const f = e.target.files?.[0];
            e.target.value = '';
            if (f) void importYaml(f);
          }}
        />
      </label>
      {note && (
        <div
          className={`merge-recipe-note small ${note.kind === 'error' ? 'error' : 'muted'}`}
          role={note.kind === 'error' ? 'alert' : 'status'}
          data-testid={note.kind === 'error' ? 'merge-import-error' : 'merge-import-note'}
        >
          {note.lines.map((l, i) => (
            <div key={i}>{l}</div>
          ))}
        </div>
      )}
    </div>
  );
}
