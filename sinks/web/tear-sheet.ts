/**
 * The current model's backtest tear sheet for the page (`/report`): the `report.html` that
 * `tickflow replay backtest --out <dir>` wrote, looked for in `<modelDir>/backtest/` and then in
 * `<modelDir>/../backtest/`, and served only when the `report.json` beside it names the model
 * this process runs (a report of another model would describe someone else's trades).
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** A tear sheet is one self-contained page of inline SVG (a few hundred KB); far bigger is refused. */
export const MAX_TEAR_SHEET_BYTES = 8 * 1024 * 1024;

export type TearSheet = { ok: true; html: Buffer; dir: string } | { ok: false; reason: string };

export function tearSheetDirs(modelDir: string): string[] {
  return [join(modelDir, 'backtest'), join(dirname(modelDir), 'backtest')];
}

/** The command that writes a tear sheet where this looks for one (said in the 404's reason). */
export function tearSheetCommand(modelDir: string): string {
  return `tickflow replay backtest --log <logDir> --model ${modelDir} --out ${join(modelDir, 'backtest')} --out-of-sample`;
}

export async function findTearSheet(modelDir: string, modelId: string): Promise<TearSheet> {
  const reasons: string[] = [];
  for (const dir of tearSheetDirs(modelDir)) {
    let reportModel: unknown;
    try {
      reportModel = (JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as { modelId?: unknown }).modelId;
    } catch {
      continue; // no report here
    }
    if (reportModel !== modelId) {
      reasons.push(`${dir} holds a backtest of model ${String(reportModel)}, not of ${modelId}`);
      continue;
    }
    const html = join(dir, 'report.html');
    const size = await stat(html).then((s) => s.size, () => -1);
    if (size < 0) {
      reasons.push(`${dir} has report.json but no report.html`);
      continue;
    }
    if (size > MAX_TEAR_SHEET_BYTES) {
      reasons.push(`${html} is larger than ${MAX_TEAR_SHEET_BYTES} bytes: not served`);
      continue;
    }
    return { ok: true, html: await readFile(html), dir };
  }
  const looked = tearSheetDirs(modelDir).join(' and ');
  return { ok: false, reason: `no backtest tear sheet of model ${modelId} in ${looked}${reasons.length ? ` (${reasons.join('; ')})` : ''}: write one with \`${tearSheetCommand(modelDir)}\`` };
}
