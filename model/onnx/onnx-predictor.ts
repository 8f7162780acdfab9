import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CLASSES, type ClassName, type Predictor } from '../../processors/types.ts';
import { ModelError } from '../errors.ts';
import { computeModelId } from '../manifest.ts';
import { MODEL_ONNX, readOnnxManifest, type OnnxManifest } from './onnx-manifest.ts';
import { OnnxSession, Tensor, type OnnxValueInfo } from './onnx-session.ts';

/** The input and output tickflow feeds and reads, once a session passed checkServable. */
export interface ServedTensors {
  input: OnnxValueInfo;
  output: OnnxValueInfo;
}

const FLOATS = new Set(['float32', 'float64']);
const fail = (message: string): never => {
  throw new ModelError('ONNX_INVALID', message);
};

/**
 * Checks that a session can serve tickflow rows of `width` features: one float tensor input
 * [N, width], a float tensor output [N, 3] (the one named "probabilities" when several are), and
 * class probabilities out of a probe row of zeros. Anything else is refused with the reason.
 */
export function checkServable(session: OnnxSession, width: number): ServedTensors {
  if (session.inputs.length !== 1) fail(`the model has ${session.inputs.length} inputs (${session.inputs.map((i) => i.name).join(', ')}); tickflow feeds one [N, features] tensor`);
  const input = session.inputs[0] as OnnxValueInfo;
  if (!input.isTensor || !FLOATS.has(input.type ?? '') || input.shape.length !== 2) {
    fail(`input ${input.name} is ${input.type ?? 'not a tensor'} of shape [${input.shape.join(', ')}]; tickflow feeds a float tensor [N, ${width}]`);
  }
  if (typeof input.shape[1] === 'number' && input.shape[1] !== width) fail(`input ${input.name} takes ${input.shape[1]} features but --features lists ${width}`);
  const candidates = session.outputs.filter((o) => o.isTensor && FLOATS.has(o.type ?? '') && o.shape.length === 2 && (o.shape[1] === 3 || typeof o.shape[1] === 'string'));
  const output = candidates.find((o) => o.name === 'probabilities') ?? (candidates.length === 1 ? candidates[0] : undefined);
  if (output === undefined) {
    const seen = session.outputs.map((o) => `${o.name}: ${o.isTensor ? `${o.type} [${o.shape.join(', ')}]` : 'not a tensor (a ZipMap? export with zipmap=False)'}`).join('; ');
    return fail(`no output is a float tensor [N, 3] of class probabilities (${seen})`);
  }
  const probe = Array.from(runRow(session, { input, output }, new Float64Array(width)));
  if (probe.length !== 3) fail(`output ${output.name} gives ${probe.length} values for one row; tickflow needs 3 class probabilities (UP, FLAT, DOWN)`);
  let sum = 0;
  for (const p of probe) sum += p;
  if (!probe.every((p) => Number.isFinite(p) && p >= 0 && p <= 1) || Math.abs(sum - 1) > 1e-4) {
    fail(`output ${output.name} is not class probabilities (a row of zeros gave ${Array.from(probe, (p) => p.toPrecision(4)).join(', ')})`);
  }
  return { input, output };
}

function runRow(session: OnnxSession, t: ServedTensors, row: ArrayLike<number>): ArrayLike<number> {
  const data = t.input.type === 'float64' ? Float64Array.from(row) : Float32Array.from(row);
  const out = session.run(t.input.name, new Tensor(t.input.type === 'float64' ? 'float64' : 'float32', data, [1, row.length]), t.output.name);
  return out as ArrayLike<number>;
}

/**
 * Which tickflow class each probability column is. `override` (`--classes`) wins; else the class
 * labels the graph declares: the names UP/FLAT/DOWN in any order, the integers 0/1/2 (tickflow's
 * class indices, CLASSES order) or -1/0/1 (DOWN/FLAT/UP by sign); a graph that declares none is
 * taken to be in CLASSES order. Labels that map to none of these are refused.
 */
export function probabilityColumns(classLabels: (string | number)[] | null, override?: readonly string[]): ClassName[] {
  const isPermutation = (xs: readonly string[]): xs is ClassName[] => xs.length === 3 && CLASSES.every((c) => xs.includes(c));
  if (override !== undefined) {
    if (!isPermutation(override)) fail(`--classes must name UP, FLAT and DOWN once each in column order; got ${override.join(',')}`);
    return [...(override as ClassName[])];
  }
  if (classLabels === null) return [...CLASSES];
  const key = classLabels.map(String).join(',');
  if (key === '0,1,2') return [...CLASSES];
  if (key === '-1,0,1') return ['DOWN', 'FLAT', 'UP'];
  const names = classLabels.map((l) => String(l).toUpperCase());
  if (isPermutation(names)) return names;
  return fail(`the graph's class labels ${JSON.stringify(classLabels)} are not UP/FLAT/DOWN, 0/1/2 or -1/0/1; name the column order with --classes`);
}

/**
 * An imported ONNX classifier as the graph sees it (processors/types.ts Predictor): one row at a
 * time, synchronously, through onnxruntime-node with one thread (onnx-session.ts). Features are
 * fed as the graph's float type (float32 for most exporters, so the row is rounded to float32
 * first); the probabilities are reordered to CLASSES order and divided by their float64 sum, in
 * column order, so they sum to 1 as the Predictor contract says. No heads, no contributions.
 */
export class OnnxPredictor implements Predictor {
  readonly modelId: string;
  readonly featureSetHash: string;
  readonly featureNames: readonly string[];
  private readonly input: Float32Array | Float64Array;
  private readonly tensor: Tensor;
  private readonly columnOf: number[];

  constructor(
    readonly manifest: OnnxManifest,
    private readonly session: OnnxSession,
    private readonly served: ServedTensors,
  ) {
    this.modelId = manifest.modelId;
    this.featureSetHash = manifest.featureSetHash;
    this.featureNames = Object.freeze([...manifest.featureNames]);
    const d = manifest.featureNames.length;
    const f64 = served.input.type === 'float64';
    this.input = f64 ? new Float64Array(d) : new Float32Array(d);
    this.tensor = f64 ? new Tensor('float64', this.input as Float64Array, [1, d]) : new Tensor('float32', this.input as Float32Array, [1, d]);
    this.columnOf = CLASSES.map((c) => manifest.onnx.columns.indexOf(c));
  }

  predict(row: Float64Array): [number, number, number] {
    this.input.set(row);
    const out = this.session.run(this.served.input.name, this.tensor, this.served.output.name) as ArrayLike<number>;
    const up = out[this.columnOf[0] as number] as number;
    const flat = out[this.columnOf[1] as number] as number;
    const down = out[this.columnOf[2] as number] as number;
    const sum = up + flat + down;
    return [up / sum, flat / sum, down / sum];
  }

  dispose(): void {
    this.session.dispose();
  }
}

/**
 * Loads an imported ONNX model directory: manifest.json and model.onnx, checked to belong together
 * (sha256 and modelId), then a deterministic session checked as at import.
 */
export async function loadOnnxPredictor(dir: string): Promise<OnnxPredictor> {
  const manifest = await readOnnxManifest(dir);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(join(dir, MODEL_ONNX)));
  } catch (err) {
    throw new ModelError('MANIFEST_INVALID', `${dir}: manifest is an onnx model but ${join(dir, MODEL_ONNX)} cannot be read: ${(err as Error).message}`, { cause: err });
  }
  const sha = createHash('sha256').update(bytes).digest('hex');
  const id = computeModelId(manifest, bytes);
  if (sha !== manifest.onnx.sha256 || id !== manifest.modelId) {
    throw new ModelError('MODEL_ID_MISMATCH', `${dir}: manifest says model ${manifest.modelId} but its fields and ${MODEL_ONNX} hash to ${id} (edited or mixed-up files)`);
  }
  const session = new OnnxSession(bytes);
  try {
    return new OnnxPredictor(manifest, session, checkServable(session, manifest.featureNames.length));
  } catch (err) {
    session.dispose();
    throw err;
  }
}
