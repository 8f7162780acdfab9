import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { CLASSES } from '../../processors/types.ts';
import { ModelError } from '../errors.ts';
import { PARAMS_JSON } from '../family.ts';
import type { LogisticParams } from '../logistic.ts';
import type { ModelManifest } from '../manifest.ts';

const { onnx } = onnxProto;
const DOUBLE = onnx.TensorProto.DataType.DOUBLE;
/** Default-domain opset: Softmax over the last axis (opset 13+). */
export const EXPORT_OPSET = 17;
export const EXPORT_IR_VERSION = 8;

const refuse = (message: string): never => {
  throw new ModelError('ONNX_INVALID', message);
};

function doubles(name: string, dims: number[], data: number[]): onnxProto.onnx.ITensorProto {
  return { name, dims, dataType: DOUBLE, doubleData: data };
}

function tensorType(name: string, dims: (number | string)[]): onnxProto.onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType: DOUBLE, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } } };
}

/**
 * A tickflow logistic model as an ONNX graph in float64, the precision tickflow scores in:
 * X [N, d] raw features → Sub(mean) → Div(std) → MatMul(kernel d×3) → Add(bias) [→ Div(T), a
 * temperature calibrator] → Softmax → probabilities [N, 3] in CLASSES order (UP, FLAT, DOWN;
 * also in the metadata `classes`). Isotonic calibration (piecewise-linear per class, then
 * renormalized) is refused: no standard ONNX operator does it without a hand-built subgraph.
 */
export function logisticToOnnx(manifest: ModelManifest, params: LogisticParams): Uint8Array {
  const d = manifest.featureNames.length;
  const K = CLASSES.length;
  if (params.kernel.length !== d * K || params.bias.length !== K) refuse(`logistic parameters are ${params.kernel.length} + ${params.bias.length} numbers, expected ${d * K} + ${K}`);
  const cal = manifest.calibration;
  if (cal !== undefined && cal.method === 'isotonic') refuse(`model ${manifest.modelId} is calibrated with isotonic regression, which this export does not express in ONNX; retrain it with temperature or no calibration`);
  const nodes: onnxProto.onnx.INodeProto[] = [
    { opType: 'Sub', input: ['X', 'mean'], output: ['centered'], name: 'standardize_sub' },
    { opType: 'Div', input: ['centered', 'std'], output: ['z'], name: 'standardize_div' },
    { opType: 'MatMul', input: ['z', 'kernel'], output: ['zw'], name: 'dense_matmul' },
    { opType: 'Add', input: ['zw', 'bias'], output: ['logits'], name: 'dense_bias' },
  ];
  const initializer = [doubles('mean', [d], manifest.standardization.mean), doubles('std', [d], manifest.standardization.std), doubles('kernel', [d, K], params.kernel), doubles('bias', [K], params.bias)];
  let logits = 'logits';
  // Temperature calibration: softmax(log(softmax(z)) / T) = softmax(z / T).
  if (cal !== undefined && cal.method === 'temperature') {
    initializer.push(doubles('temperature', [], [cal.temperature as number]));
    nodes.push({ opType: 'Div', input: ['logits', 'temperature'], output: ['scaled'], name: 'temperature' });
    logits = 'scaled';
  }
  nodes.push({ opType: 'Softmax', input: [logits], output: ['probabilities'], name: 'softmax', attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: -1 }] });
  const model = onnx.ModelProto.create({
    irVersion: EXPORT_IR_VERSION,
    producerName: 'tickflow',
    producerVersion: '1',
    domain: 'tickflow',
    docString: `tickflow ${manifest.family ?? 'mlp'} model ${manifest.modelId}: raw features in featureNames order, probabilities of classes UP, FLAT, DOWN`,
    opsetImport: [{ domain: '', version: EXPORT_OPSET }],
    metadataProps: [
      { key: 'modelId', value: manifest.modelId },
      { key: 'featureSetHash', value: manifest.featureSetHash },
      { key: 'featureNames', value: manifest.featureNames.join(',') },
      { key: 'classes', value: CLASSES.join(',') },
    ],
    graph: { name: `tickflow_${manifest.modelId}`, node: nodes, initializer, input: [tensorType('X', ['N', d])], output: [tensorType('probabilities', ['N', K])] },
  });
  return onnx.ModelProto.encode(model).finish();
}

/**
 * `tickflow model export --onnx`: the ONNX bytes of the model in `dir` (read with its manifest,
 * already validated by loadPredictor). Families other than logistic, and seed averages, are refused
 * with the reason.
 */
export async function exportOnnx(dir: string, manifest: ModelManifest): Promise<Uint8Array> {
  const family = manifest.family ?? 'mlp';
  if (manifest.seedAverage !== undefined) refuse(`model ${manifest.modelId} averages ${manifest.seedAverage.seeds.length} seeds; ONNX export takes a single-seed model`);
  if (family !== 'logistic') refuse(`ONNX export supports the logistic family; model ${manifest.modelId} is ${family}`);
  const params = JSON.parse(await readFile(join(dir, PARAMS_JSON), 'utf8')) as LogisticParams;
  return logisticToOnnx(manifest, params);
}

/**
 * Rows to check an export on without a dataset: the training mean, and the mean moved by ±2
 * standard deviations in one feature at a time (2d + 1 rows, in that order).
 */
export function probeRows(manifest: ModelManifest): Float64Array[] {
  const { mean, std } = manifest.standardization;
  const rows = [Float64Array.from(mean)];
  for (let j = 0; j < mean.length; j++) {
    for (const s of [-2, 2]) {
      const r = Float64Array.from(mean);
      r[j] = (mean[j] as number) + s * (std[j] as number);
      rows.push(r);
    }
  }
  return rows;
}
