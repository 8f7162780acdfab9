import { createRequire } from 'node:module';
import { Tensor, type InferenceSession } from 'onnxruntime-node';
// The native session of onnxruntime-node, whose run() is synchronous ("a simple synchronized
// inference session object wrap", dist/binding.d.ts). The public InferenceSession.run calls the
// same native run inside setImmediate and a Promise; the graph's Predictor is synchronous (D4),
// so tickflow calls it directly. The package has no exports map, so the deep import is allowed;
// its version is pinned exactly and test/unit/model/onnx-import.test.ts checks that this path
// gives the public API's outputs bit for bit.
import { binding, initOrt, type Binding } from 'onnxruntime-node/dist/binding.js';
import { ModelError } from '../errors.ts';

const require = createRequire(import.meta.url);

/** The onnxruntime-node version in use (recorded in the manifest of every ONNX model). */
export const ONNXRUNTIME_VERSION: string = (require('onnxruntime-node/package.json') as { version: string }).version;

/**
 * Session options that make inference reproducible for one runtime version: one thread inside and
 * between operators (no parallel reduction whose order depends on scheduling), sequential execution,
 * the CPU provider only. Every ONNX session tickflow creates uses these.
 */
export const DETERMINISTIC_SESSION_OPTIONS = {
  executionProviders: ['cpu'],
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
  enableCpuMemArena: true,
  logSeverityLevel: 3,
} as const satisfies InferenceSession.SessionOptions;

const TYPES = [undefined, 'float32', 'uint8', 'int8', 'uint16', 'int16', 'int32', 'int64', 'string', 'bool', 'float16', 'float64', 'uint32', 'uint64'] as const;

/** A graph input or output: tensors have a type and a shape (a string for a symbolic dimension). */
export interface OnnxValueInfo {
  name: string;
  isTensor: boolean;
  type: string | null;
  shape: (number | string)[];
}

function infoOf(m: Binding.ValueMetadata): OnnxValueInfo {
  const shape = m.shape.map((d, i) => (d >= 0 ? d : m.symbolicDimensions[i] || 'N'));
  return { name: m.name, isTensor: m.isTensor, type: m.isTensor ? (TYPES[m.type] ?? `type${m.type}`) : null, shape };
}

/**
 * One ONNX model loaded with DETERMINISTIC_SESSION_OPTIONS, run synchronously. Created in model/
 * (it loads a native library) and handed to the graph inside a Predictor: processors/ stay pure.
 * A file that is not an ONNX model onnxruntime can load throws ModelError('ONNX_INVALID').
 */
export class OnnxSession {
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
  private readonly session: Binding.InferenceSession;

  constructor(bytes: Uint8Array) {
    initOrt();
    this.session = new binding.InferenceSession();
    try {
      this.session.loadModel(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength, DETERMINISTIC_SESSION_OPTIONS);
    } catch (err) {
      throw new ModelError('ONNX_INVALID', `not an ONNX model onnxruntime ${ONNXRUNTIME_VERSION} can load: ${(err as Error).message.split('\n')[0] ?? ''}`, { cause: err });
    }
    this.inputs = this.session.inputMetadata.map(infoOf);
    this.outputs = this.session.outputMetadata.map(infoOf);
  }

  /** Runs the model on one input tensor and returns one output's data (synchronously). */
  run(input: string, tensor: Tensor, output: string): Tensor['data'] {
    const result = this.session.run({ [input]: tensor }, { [output]: null }, {})[output];
    if (result === undefined) throw new ModelError('ONNX_INVALID', `the model gave no output ${output}`);
    return (result).data;
  }

  dispose(): void {
    this.session.dispose();
  }
}

export { Tensor };
