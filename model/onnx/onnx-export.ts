import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { CLASSES } from '../../processors/types.ts';
import { ModelError } from '../errors.ts';
import { PARAMS_JSON } from '../family.ts';
import type { DenseActivation } from '../dense-stack.ts';
import type { GbdtParams } from '../gbdt-model.ts';
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

/** Refuses a calibrator ONNX cannot express here (isotonic). */
function checkCalibration(manifest: ModelManifest): void {
  const cal = manifest.calibration;
  if (cal !== undefined && cal.method === 'isotonic') refuse(`model ${manifest.modelId} is calibrated with isotonic regression, which this export does not express in ONNX; retrain it with temperature or no calibration`);
}

const softmaxNode = (input: string): onnxProto.onnx.INodeProto => ({ opType: 'Softmax', input: [input], output: ['probabilities'], name: 'softmax', attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: -1 }] });

/**
 * The end every family shares: logits [N, 3] [→ Div(T), a temperature calibrator] → Softmax →
 * probabilities, and the model around the graph (metadata: modelId, feature set, feature names,
 * classes).
 */
function finish(manifest: ModelManifest, nodes: onnxProto.onnx.INodeProto[], initializer: onnxProto.onnx.ITensorProto[], logits: string, opsetImport: onnxProto.onnx.IOperatorSetIdProto[]): Uint8Array {
  const d = manifest.featureNames.length;
  const K = CLASSES.length;
  const cal = manifest.calibration;
  // Temperature calibration: softmax(log(softmax(z)) / T) = softmax(z / T).
  if (cal !== undefined && cal.method === 'temperature') {
    initializer.push(doubles('temperature', [], [cal.temperature as number]));
    nodes.push({ opType: 'Div', input: [logits, 'temperature'], output: ['scaled'], name: 'temperature' });
    logits = 'scaled';
  }
  nodes.push(softmaxNode(logits));
  const model = onnx.ModelProto.create({
    irVersion: EXPORT_IR_VERSION,
    producerName: 'tickflow',
    producerVersion: '1',
    domain: 'tickflow',
    docString: `tickflow ${manifest.family ?? 'mlp'} model ${manifest.modelId}: raw features in featureNames order, probabilities of classes UP, FLAT, DOWN`,
    opsetImport,
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

const DEFAULT_OPSETS = [{ domain: '', version: EXPORT_OPSET }];

/** X → Sub(mean) → Div(std) → z: the manifest's standardization, as the Dense families apply it. */
function standardizeNodes(manifest: ModelManifest): { nodes: onnxProto.onnx.INodeProto[]; initializer: onnxProto.onnx.ITensorProto[] } {
  const d = manifest.featureNames.length;
  return {
    nodes: [
      { opType: 'Sub', input: ['X', 'mean'], output: ['centered'], name: 'standardize_sub' },
      { opType: 'Div', input: ['centered', 'std'], output: ['z'], name: 'standardize_div' },
    ],
    initializer: [doubles('mean', [d], manifest.standardization.mean), doubles('std', [d], manifest.standardization.std)],
  };
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
  checkCalibration(manifest);
  const { nodes, initializer } = standardizeNodes(manifest);
  nodes.push({ opType: 'MatMul', input: ['z', 'kernel'], output: ['zw'], name: 'dense_matmul' }, { opType: 'Add', input: ['zw', 'bias'], output: ['logits'], name: 'dense_bias' });
  initializer.push(doubles('kernel', [d, K], params.kernel), doubles('bias', [K], params.bias));
  return finish(manifest, nodes, initializer, 'logits', DEFAULT_OPSETS);
}

/** The Dense layers of a tickflow MLP (what DenseStack holds), row-major [inDim, outDim] kernels. */
export interface ExportDenseLayer {
  inDim: number;
  outDim: number;
  activation: DenseActivation;
  kernel: ArrayLike<number>;
  bias: ArrayLike<number>;
}

const ACTIVATION_OPS: Partial<Record<DenseActivation, string>> = { relu: 'Relu', tanh: 'Tanh', sigmoid: 'Sigmoid' };

/**
 * A tickflow MLP as an ONNX graph in float64: the standardization, then per hidden layer MatMul →
 * Add → its activation (Relu, Tanh, Sigmoid or none), and the last layer's MatMul → Add as the
 * logits, whose softmax (after a temperature calibrator) are the probabilities. The last layer
 * must be the softmax output layer every tickflow MLP ends with.
 */
export function mlpToOnnx(manifest: ModelManifest, layers: readonly ExportDenseLayer[]): Uint8Array {
  const d = manifest.featureNames.length;
  const last = layers.at(-1);
  if (last === undefined || last.activation !== 'softmax' || last.outDim !== CLASSES.length) refuse(`MLP of model ${manifest.modelId} must end in a ${CLASSES.length}-unit softmax layer`);
  if (layers[0]!.inDim !== d) refuse(`MLP of model ${manifest.modelId} takes ${layers[0]!.inDim} features, the manifest has ${d}`);
  checkCalibration(manifest);
  const { nodes, initializer } = standardizeNodes(manifest);
  let x = 'z';
  layers.forEach((l, i) => {
    if (i < layers.length - 1 && l.activation === 'softmax') refuse(`MLP of model ${manifest.modelId}: hidden layer ${i + 1} is a softmax`);
    initializer.push(doubles(`kernel${i}`, [l.inDim, l.outDim], Array.from(l.kernel)), doubles(`bias${i}`, [l.outDim], Array.from(l.bias)));
    nodes.push({ opType: 'MatMul', input: [x, `kernel${i}`], output: [`mm${i}`], name: `dense${i}_matmul` }, { opType: 'Add', input: [`mm${i}`, `bias${i}`], output: [`pre${i}`], name: `dense${i}_bias` });
    x = `pre${i}`;
    const op = i < layers.length - 1 ? ACTIVATION_OPS[l.activation] : undefined;
    if (op !== undefined) {
      nodes.push({ opType: op, input: [x], output: [`act${i}`], name: `dense${i}_${l.activation}` });
      x = `act${i}`;
    }
  });
  return finish(manifest, nodes, initializer, x, DEFAULT_OPSETS);
}

/** ai.onnx.ml opset of the TreeEnsemble operator (opset 5: splits and leaf weights as tensors of the input's type). */
export const EXPORT_ML_OPSET = 5;

/**
 * A tickflow GBDT as an ONNX graph in float64: one ai.onnx.ml TreeEnsemble (opset 5) over the raw
 * features (the trees compare raw values; GBDT does not standardize), aggregate SUM, post-transform
 * NONE, one target per class; its tree k of every round writes target k. Splits are BRANCH_LEQ
 * (x <= threshold goes to the true branch, tickflow's `left`), thresholds and leaf values float64
 * (opset 5 takes them as tensors of the input's type, so no split moves as it would with the
 * float32 thresholds of TreeEnsembleClassifier/Regressor before opset 3's *_as_tensor). Then
 * Add(baseScore) gives the margins and Softmax the probabilities. A tree that is a single leaf has
 * no branch to root it in this format: it becomes a branch on feature 0 whose two sides are that
 * leaf. Rows with a missing (NaN) feature: tickflow's predictor gives NaN; the ONNX graph sends NaN
 * down the false branch (missing_value_tracks_true 0) and gives a number, so feed it no NaN.
 */
export function gbdtToOnnx(manifest: ModelManifest, params: GbdtParams): Uint8Array {
  const d = manifest.featureNames.length;
  const K = CLASSES.length;
  if (params.inputDim !== d) refuse(`GBDT of model ${manifest.modelId} takes ${params.inputDim} features, the manifest has ${d}`);
  if (params.baseScore.length !== K) refuse(`GBDT of model ${manifest.modelId} has ${params.baseScore.length} classes, expected ${K}`);
  checkCalibration(manifest);
  const feature: number[] = [];
  const splits: number[] = [];
  const trueIds: number[] = [];
  const trueLeaf: number[] = [];
  const falseIds: number[] = [];
  const falseLeaf: number[] = [];
  const leafTarget: number[] = [];
  const leafWeight: number[] = [];
  const roots: number[] = [];
  for (const round of params.rounds) {
    round.forEach((t, k) => {
      // Node j of this tree → its index among the tree's branches or among its leaves.
      const branchIndex = new Map<number, number>();
      const leafIndex = new Map<number, number>();
      t.feature.forEach((f, j) => {
        if (f >= 0) branchIndex.set(j, feature.length + branchIndex.size);
        else leafIndex.set(j, leafWeight.length + leafIndex.size);
      });
      const ref = (j: number): [number, number] => (leafIndex.has(j) ? [leafIndex.get(j) as number, 1] : [branchIndex.get(j) as number, 0]);
      if ((t.feature[0] as number) < 0) {
        // A single leaf: a branch whose both sides are it.
        roots.push(feature.length);
        feature.push(0);
        splits.push(0);
        trueIds.push(leafWeight.length);
        trueLeaf.push(1);
        falseIds.push(leafWeight.length);
        falseLeaf.push(1);
      } else {
        roots.push(feature.length);
        t.feature.forEach((f, j) => {
          if (f < 0) return;
          const [ti, tl] = ref(t.left[j] as number);
          const [fi, fl] = ref(t.right[j] as number);
          feature.push(f);
          splits.push(t.threshold[j] as number);
          trueIds.push(ti);
          trueLeaf.push(tl);
          falseIds.push(fi);
          falseLeaf.push(fl);
        });
      }
      t.feature.forEach((f, j) => {
        if (f >= 0) return;
        leafTarget.push(k);
        leafWeight.push(t.value[j] as number);
      });
    });
  }
  const { INT, INTS, TENSOR } = onnx.AttributeProto.AttributeType;
  const ints = (name: string, v: number[]): onnxProto.onnx.IAttributeProto => ({ name, type: INTS, ints: v });
  const int = (name: string, v: number): onnxProto.onnx.IAttributeProto => ({ name, type: INT, i: v });
  const tensor = (name: string, t: onnxProto.onnx.ITensorProto): onnxProto.onnx.IAttributeProto => ({ name, type: TENSOR, t });
  const nodes: onnxProto.onnx.INodeProto[] = [
    {
      opType: 'TreeEnsemble',
      domain: 'ai.onnx.ml',
      input: ['X'],
      output: ['trees'],
      name: 'trees',
      attribute: [
        int('aggregate_function', 1), // SUM
        int('post_transform', 0), // NONE
        int('n_targets', K),
        ints('tree_roots', roots),
        ints('nodes_featureids', feature),
        tensor('nodes_splits', doubles('nodes_splits', [splits.length], splits)),
        tensor('nodes_modes', { name: 'nodes_modes', dims: [feature.length], dataType: onnx.TensorProto.DataType.UINT8, rawData: new Uint8Array(feature.length) }), // 0 = BRANCH_LEQ
        ints('nodes_truenodeids', trueIds),
        ints('nodes_trueleafs', trueLeaf),
        ints('nodes_falsenodeids', falseIds),
        ints('nodes_falseleafs', falseLeaf),
        ints('leaf_targetids', leafTarget),
        tensor('leaf_weights', doubles('leaf_weights', [leafWeight.length], leafWeight)),
      ],
    },
    { opType: 'Add', input: ['trees', 'base_score'], output: ['logits'], name: 'base_score' },
  ];
  const initializer = [doubles('base_score', [K], params.baseScore)];
  return finish(manifest, nodes, initializer, 'logits', [...DEFAULT_OPSETS, { domain: 'ai.onnx.ml', version: EXPORT_ML_OPSET }]);
}

/**
 * `tickflow model export --onnx`: the ONNX bytes of the model in `dir` (read with its manifest,
 * already validated by loadPredictor): logistic, gbdt or mlp. Stacks and seed averages are refused
 * with the reason.
 */
export async function exportOnnx(dir: string, manifest: ModelManifest): Promise<Uint8Array> {
  const family = manifest.family ?? 'mlp';
  if (manifest.seedAverage !== undefined) refuse(`model ${manifest.modelId} averages ${manifest.seedAverage.seeds.length} seeds; ONNX export takes a single-seed model`);
  if (family === 'mlp') return mlpToOnnx(manifest, await loadDenseLayers(dir));
  if (family !== 'logistic' && family !== 'gbdt') refuse(`ONNX export supports the logistic, gbdt and mlp families; model ${manifest.modelId} is ${family}`);
  const params = JSON.parse(await readFile(join(dir, PARAMS_JSON), 'utf8')) as unknown;
  return family === 'gbdt' ? gbdtToOnnx(manifest, params as GbdtParams) : logisticToOnnx(manifest, params as LogisticParams);
}

/** The MLP's Dense layers, read through tfjs as the predictor reads them (model/predictor.ts loadMlp). */
async function loadDenseLayers(dir: string): Promise<ExportDenseLayer[]> {
  const [tf, { useBackend }, { fileIoHandler }, { DenseStack }] = await Promise.all([import('@tensorflow/tfjs'), import('../backend.ts'), import('../file-io-handler.ts'), import('../dense-stack.ts')]);
  if (!tf.engine().backendName) await useBackend('cpu');
  const model = await tf.loadLayersModel(fileIoHandler(dir));
  try {
    return [...DenseStack.fromLayersModel(model).layers];
  } finally {
    model.dispose();
  }
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
