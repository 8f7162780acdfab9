import { defineCommand } from '../command-spec.ts';
import { existingFile, featureSetFlag, intervalFlag, list, modelDir, text } from '../flags.ts';

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

export const MODEL = { import: MODEL_IMPORT, export: MODEL_EXPORT };
