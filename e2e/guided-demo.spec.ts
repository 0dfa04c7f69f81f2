import { spawnSync } from 'node:child_process';
import { expect, test } from '@playwright/test';
import { NUM, openApp, pageErrors, shot } from './app';

test('the guided demo runs end to end offline (BM25, base, a small expert, the difference), explains the metrics and marks, and the expert downloads as a Python project', async ({
  page,
}) => {
  // about 30 s on an idle 2-core machine; several times that when the machine is shared
  test.setTimeout(300_000);
  const errors = pageErrors(page);
  const outside: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith('http://localhost')) outside.push(r.url());
  });
  await openApp(page);
  await page.getByTestId('backend-pref').selectOption('cpu');
  await page.getByTestId('tab-data').click();
  const demo = page.getByTestId('guided-demo');
  await demo.getByTestId('guided-start').click();
  const steps = demo.getByTestId('guided-step');
  await expect(steps).toHaveCount(6);
  // the steps show as they happen: the training step runs while the evaluations before it are done
  await expect(demo.locator('[data-testid=guided-step][data-id=train][data-status=running]')).toBeVisible({
    timeout: 180_000,
  });
  await expect(demo.locator('[data-testid=guided-step][data-id=bm25]')).toHaveAttribute(
    'data-status',
    'done',
  );
  await expect(demo).toHaveAttribute('data-status', 'done', { timeout: 240_000 });
  await expect(steps.locator('xpath=self::*[@data-status="done"]')).toHaveCount(6);
  const scores = demo.getByTestId('guided-score');
  await expect(scores).toHaveCount(3);
  for (const td of await scores.locator('td.num').all()) await expect(td).toHaveText(NUM);
  const value = async (id: string) =>
    Number(await demo.locator(`[data-testid=guided-score][data-id=${id}]`).getAttribute('data-value'));
  const [bm25, base, expert] = [await value('bm25'), await value('base'), await value('expert')];
  expect(bm25).toBeGreaterThan(0.3);
  expect(base).toBeGreaterThan(0.3);
  expect(expert).toBeGreaterThan(0.3);
  await expect(demo.getByTestId('guided-verdict')).toContainText(
    expert > base ? `nDCG@10 +${(expert - base).toFixed(3)}` : 'lower than the base',
  );
  await shot(page, 'guided-demo');

  // the Evaluate tab has the three runs on the held-out split; the metric names and marks explain themselves
  await demo.getByTestId('guided-open-evaluate').click();
  const table = page.getByTestId('results-table');
  await expect(table.locator('tbody tr')).toHaveCount(3);
  await table.locator('[data-testid=help][data-help="nDCG@10"]').click();
  await expect(table.locator('[data-testid=help-text][data-help="nDCG@10"]')).toContainText('log2(rank + 1)');
  await table.locator('tbody tr').first().click();
  await page.getByTestId('query-row').first().click();
  const drill = page.getByTestId('drilldown');
  await expect(drill.getByTestId('drill-hit')).toHaveCount(10);
  for (const [topic, words] of [
    ['MRR@10', 'first relevant document'],
    ['✓ relevant', 'grade'],
    ['· not judged', 'Nobody assessed'],
    ['graded relevance', 'cran: 1 to 4'],
  ] as const) {
    await drill.locator(`[data-testid=help][data-help="${topic}"]`).click();
    await expect(drill.locator(`[data-testid=help-text][data-help="${topic}"]`)).toContainText(words);
    // one explanation open at a time; Escape closes it
    await expect(page.getByTestId('help-text')).toHaveCount(1);
    if (topic !== 'graded relevance') await page.keyboard.press('Escape');
  }
  await shot(page, 'guided-demo-drilldown');

  // the Train form explains its loss fields
  await page.getByTestId('tab-train').click();
  const form = page.getByTestId('train-form');
  for (const [topic, words] of [
    ['Scale (1/τ)', '1/temperature'],
    ['Symmetric', 'reverse direction'],
    ['Gradient clipping', 'global norm'],
    ['Hard negatives', 'look relevant but are not'],
  ] as const) {
    await form.locator(`[data-testid=help][data-help="${topic}"]`).click();
    await expect(form.locator(`[data-testid=help-text][data-help="${topic}"]`)).toContainText(words);
    await page.keyboard.press('Escape');
  }
  await expect(page.getByTestId('help-text')).toHaveCount(0);

  // the demo's expert as a Python project: a Hugging Face model named for USE-lite, one .zip
  const row = page.locator('[data-testid=expert-row][data-name="Guided demo expert"]');
  await row.getByTestId('expert-handoff').click();
  await expect(row.getByTestId('handoff-base')).toHaveValue('');
  await row.getByTestId('handoff-base').fill('BAAI/bge-small-en-v1.5');
  await shot(page, 'guided-demo-handoff');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    row.getByTestId('handoff-download').click(),
  ]);
  expect(download.suggestedFilename()).toBe('Guided-demo-expert-python.zip');
  const zip = test.info().outputPath('project.zip');
  await download.saveAs(zip);
  const py = spawnSync(
    'python3',
    [
      '-c',
      `import ast, json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
for n in ("train.py", "evaluate.py"): ast.parse(z.read(n).decode())
ns = {}
exec(z.read("evaluate.py").decode().split("def fill")[0], ns)
c = ast.literal_eval(z.read("train.py").decode().split("CONFIG = ")[1].split("\\n\\n\\n")[0])
print(json.dumps({"names": sorted(z.namelist()), "c": c, "tasks": ns["TASKS"],
  "pairs": len(z.read("data/train.jsonl").decode().splitlines())}))`,
      zip,
    ],
    { encoding: 'utf8' },
  );
  expect(py.stderr).toBe('');
  const got = JSON.parse(py.stdout) as {
    names: string[];
    c: Record<string, unknown>;
    tasks: unknown[];
    pairs: number;
  };
  expect(got.names).toEqual(
    expect.arrayContaining([
      'README.md',
      'beir/demo/corpus.jsonl',
      'beir/demo/qrels/guided-test.tsv',
      'data/train.jsonl',
      'evaluate.py',
      'requirements.txt',
      'train.py',
    ]),
  );
  expect(got.c).toMatchObject({
    base_model: 'BAAI/bge-small-en-v1.5',
    studio_base_model: 'use-lite',
    batch_size: 8,
    learning_rate: 0.001,
    max_steps: 40,
  });
  expect(got.tasks).toEqual([{ name: 'demo', path: 'beir/demo', split: 'guided-test' }]);
  expect(got.pairs).toBeGreaterThan(20);

  // run again and cancel: what finished is kept, the rest stops
  await page.getByTestId('tab-data').click();
  await demo.getByTestId('guided-start').click();
  await expect(demo.locator('[data-testid=guided-step][data-id=split]')).toHaveAttribute(
    'data-status',
    'done',
  );
  await demo.getByTestId('guided-cancel').click();
  await expect(demo).toHaveAttribute('data-status', 'cancelled');
  await expect(demo.getByTestId('guided-cancelled')).toBeVisible();
  expect(outside).toEqual([]);
  expect(errors).toEqual([]);
});
