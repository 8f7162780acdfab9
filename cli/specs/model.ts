import { defineCommand } from '../command-spec.ts';
import { existingFile, featureSetFlag, fusionWeights, intervalFlag, list, modelDir, num, text, timeframeModels } from '../flags.ts';
import { checkLogSource, readLogFlags } from './log-source.ts';

export const MODEL_IMPORT = defineCommand({
  name: 'model import',
  summary:
    'Wraps a classifier trained elsewhere (LightGBM, XGBoost, scikit-learn exported to ONNX with probabilities as a plain tensor, zipmap=False) in a model directory (model.onnx + manifest.json, family "onnx") that start, verify and replay serve through onnxruntime-node.',
  output: '{"modelId":"…","family":"onnx","featureSetId":"…","featureSetHash":"…","features":N,"input":{…},"output":{…},"columns":["UP","FLAT","DOWN"],"runtime":"onnxruntime-node@…","out":"…"}',
  flags: {
    onnx: existingFile({ help: 'the ONNX model file', arg: 'file', required: true }),
    features: list({ help: "the model's input columns in order: features of --feature-set (names as in the dataset header)", arg: 'a,b,c', required: true }),
    out: text({ help: 'the model directory to write', arg: 'dir', required: true }),
    'feature-set': featureSetFlag({ help: 'the feature set the features come from', default: 'core' }),
    interval: intervalFlag('the bar interval the model gives signals on'),
    classes: list({ help: "the classes of the probability columns in order (default: the graph's class labels; UP,FLAT,DOWN when it has none)", arg: 'UP,FLAT,DOWN' }),
  },
});

export const MODEL_EXPORT = defineCommand({
  name: 'model export',
  summary:
    "Writes a tickflow logistic, gbdt or mlp model (standardization, weights or trees, temperature calibration) as an ONNX graph in float64, then loads it in onnxruntime-node and checks it against tickflow's own predictions.",
  output: '{"modelId":"…","family":"logistic|gbdt|mlp","onnx":"…","bytes":N,"opset":17,"checkedRows":N,"maxAbsDiff":x} (+ "mlOpset":5 for gbdt)',
  flags: {
    onnx: text({ help: 'the ONNX file to write', arg: 'file', required: true }),
    model: modelDir({ help: 'the model directory (from `tickflow train --family logistic|gbdt|mlp`)', arg: 'dir', required: true }),
  },
});

export const MODEL_CONFLUENCE = defineCommand({
  name: 'model confluence',
  summary:
    "Bundles models trained on several signal intervals into one multi-timeframe confluence model: at every base (first) interval bar, each timeframe's latest closed-bar view is fused by log-odds addition with weights, and BUY/SELL needs at least --k timeframes to agree. replay, verify and start take the bundle as a model directory.",
  output: '{"modelId":"…","timeframes":["5m","1h"],"k":N,"weights":[…],"source":"equal|configured|learned","fit":{"from":…,"to":…,"rows":N,…}|null,"out":"…"}',
  flags: {
    models: timeframeModels({ help: 'the timeframes and their model directories, base (finest) first: each model trained on a dataset at that interval', required: true }),
    k: num({ help: 'how many timeframes must agree with a BUY or SELL (default: all)', int: true, min: 1 }),
    weights: fusionWeights({ help: 'equal (1 each: plain log-odds addition), learned (logistic regression on out-of-sample validation rows; needs --log), or one weight per timeframe', default: 'equal' }),
    ...readLogFlags(),
    out: text({ help: 'the bundle directory to write (member models are copied into it)', arg: 'dir', required: true }),
  },
  check: (v) => {
    if (v.k !== undefined && v.k > v.models.length) return `--k ${v.k}: exceeds the ${v.models.length} timeframes of --models`;
    if (Array.isArray(v.weights) && v.weights.length !== v.models.length) return `--weights: ${v.weights.length} weights for ${v.models.length} timeframes`;
    if (v.weights === 'learned') return checkLogSource(v) === undefined ? undefined : `--weights learned needs the log to learn from: ${checkLogSource(v) ?? ''}`;
    if (v.log !== undefined || v.broker !== undefined) return '--log/--broker are only used with --weights learned';
    return undefined;
  },
});

export const MODEL = { import: MODEL_IMPORT, export: MODEL_EXPORT, confluence: MODEL_CONFLUENCE };
