/** A saved merge's recipe, as a person reads it: method, each expert's parameters, the global ones. */
import type { MergeRecipe } from '../../merge/recipe';
import { getMergeMethod } from '../../merge/registry';

export function RecipeView({ recipe }: { recipe: MergeRecipe }) {
  const m = getMergeMethod(recipe.method);
  const opts = Object.entries(recipe.options).filter(([, v]) => v !== undefined);
  return (
    <div className="merge-recipe" data-testid="merge-recipe">
      <div>
        <span className="strong" data-testid="merge-recipe-method">
          {m.label}
        </span>{' '}
        <span className="muted small">
          ({recipe.method}) over {recipe.baseModel}
        </span>
      </div>
      <ul>
        {recipe.experts.map((e) => (
          <li key={e.id} data-testid="merge-recipe-expert">
            {e.name}:{' '}
            {Object.entries(e.params)
              .filter(([k, v]) => v !== undefined && (m.modelParams as readonly string[]).includes(k))
              .map(([k, v]) => `${k} ${String(v)}`)
              .join(', ') || 'no parameters'}
          </li>
        ))}
      </ul>
      {opts.length > 0 && (
        <div className="small" data-testid="merge-recipe-options">
          {opts.map(([k, v]) => `${k} ${String(v)}`).join(', ')}
        </div>
      )}
    </div>
  );
}
