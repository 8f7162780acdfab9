import onnxProto from 'onnx-proto';
import { ModelError } from '../errors.ts';

const { onnx } = onnxProto;

/** What tickflow reads from an ONNX file's protobuf (onnx-proto's generated ModelProto). */
export interface OnnxModelInfo {
  irVersion: number;
  producer: { name: string; version: string };
  opsets: { domain: string; version: number }[];
  /**
   * Class labels a classifier node declares (TreeEnsembleClassifier, LinearClassifier,
   * SVMClassifier, ZipMap): the order of its probability columns. Null when no node declares them.
   */
  classLabels: (string | number)[] | null;
}

const LABELLED_OPS = new Set(['TreeEnsembleClassifier', 'LinearClassifier', 'SVMClassifier', 'ZipMap']);

const num = (v: number | { toNumber(): number } | null | undefined): number => (v === null || v === undefined ? 0 : typeof v === 'number' ? v : v.toNumber());

/** Decodes the ModelProto; a file that is not one throws ModelError('ONNX_INVALID'). */
export function readOnnxModelInfo(bytes: Uint8Array): OnnxModelInfo {
  let model: InstanceType<typeof onnx.ModelProto>;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw new ModelError('ONNX_INVALID', `not an ONNX model (its protobuf does not decode: ${(err as Error).message})`, { cause: err });
  }
  if (model.graph === null || model.graph === undefined || num(model.irVersion) === 0) throw new ModelError('ONNX_INVALID', 'not an ONNX model (no graph or IR version)');
  let classLabels: (string | number)[] | null = null;
  for (const node of model.graph.node ?? []) {
    if (!LABELLED_OPS.has(node.opType ?? '')) continue;
    for (const a of node.attribute ?? []) {
      if ((a.name === 'classlabels_strings' || a.name === 'classlabels_stringss') && (a.strings?.length ?? 0) > 0) {
        classLabels = (a.strings ?? []).map((s) => new TextDecoder().decode(s));
      } else if ((a.name === 'classlabels_int64s' || a.name === 'classlabels_ints') && (a.ints?.length ?? 0) > 0) {
        classLabels = (a.ints ?? []).map(num);
      }
    }
    if (classLabels !== null) break;
  }
  return {
    irVersion: num(model.irVersion),
    producer: { name: model.producerName ?? '', version: model.producerVersion ?? '' },
    opsets: (model.opsetImport ?? []).map((o) => ({ domain: o.domain ?? '', version: num(o.version) })),
    classLabels,
  };
}
