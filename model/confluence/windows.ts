import { ModelError } from '../errors.ts';
import { readManifest } from '../manifest.ts';
import { manifestFamily } from '../onnx/onnx-manifest.ts';

/**
 * The periods a confluence bundle may use, from its members' chronological splits:
 * - fit (learned weights): from the end of the last member's training labels (train.lastBarEnd +
 *   horizon, the latest over members) to the latest validation bar end: rows no member trained on;
 * - test (evaluation): from the end of every member's validation labels (validation.lastBarEnd +
 *   horizon, the latest over members), and after the fit rows' labels (fit.to + baseHorizonMs).
 * A member imported from ONNX has no split: refused, since its training period is unknown.
 */
export async function confluenceWindows(memberDirs: readonly string[], baseHorizonMs: number): Promise<{ fit: { from: number; to: number }; testFrom: number }> {
  let fitFrom = -Infinity;
  let fitTo = -Infinity;
  let valEnd = -Infinity;
  for (const dir of memberDirs) {
    if ((await manifestFamily(dir)) === 'onnx') throw new ModelError('MANIFEST_INVALID', `${dir} was imported from ONNX: its training period is unknown, so no out-of-sample window can be chosen`);
    const m = await readManifest(dir);
    fitFrom = Math.max(fitFrom, m.split.train.lastBarEnd + m.split.horizonMs);
    fitTo = Math.max(fitTo, m.split.validation.lastBarEnd);
    valEnd = Math.max(valEnd, m.split.validation.lastBarEnd + m.split.horizonMs);
  }
  return { fit: { from: fitFrom, to: fitTo + 1 }, testFrom: Math.max(valEnd, fitTo + baseHorizonMs) + 1 };
}
