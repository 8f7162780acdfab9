import { createHash } from 'node:crypto';
import type { BacktestReport } from './backtest-report.ts';
import { canonicalJson } from '../../lib/canonical-json.ts';

/** Hex sha256 of the report's canonical JSON: equal hashes mean byte-identical reports. */
export function reportSha256(report: BacktestReport): string {
  return createHash('sha256').update(canonicalJson(report), 'utf8').digest('hex');
}
