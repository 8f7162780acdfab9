import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { CLASSES } from '../../processors/types.ts';
import { MANIFEST_JSON } from '../manifest.ts';
import { readJsonFile } from '../read-json.ts';

/** The imported graph, byte for byte, beside manifest.json. */
export const MODEL_ONNX = 'model.onnx';

const tensorInfo = z.strictObject({ name: z.string(), type: z.string(), shape: z.array(z.union([z.number(), z.string()])) });

/**
 * manifest.json of an imported ONNX classifier (family "onnx"). The same conventions as a trained
 * model's manifest (model/manifest.ts): no timestamps and no paths, a modelId that hashes the
 * manifest and the parameter bytes (here model.onnx), the feature set by hash and the feature names
 * in input-column order. It has no split, metrics or gates: the model was trained elsewhere.
 */
export const onnxManifestSchema = z.strictObject({
  formatVersion: z.literal(1),
  modelId: z.string().regex(/^[0-9a-f]{16}$/),
  family: z.literal('onnx'),
  featureSetId: z.string(),
  featureSetHash: z.string().min(1),
  featureNames: z.array(z.string()).min(1),
  onnx: z.strictObject({
    file: z.literal(MODEL_ONNX),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    bytes: z.number().int().positive(),
    irVersion: z.number().int(),
    producer: z.strictObject({ name: z.string(), version: z.string() }),
    opsets: z.array(z.strictObject({ domain: z.string(), version: z.number().int() })),
    input: tensorInfo,
    output: tensorInfo,
    /** The class labels the graph declares (column order), or null when it declares none. */
    classLabels: z.array(z.union([z.string(), z.number()])).nullable(),
    /** Which tickflow class each probability column is: columns[i] is the class of column i. */
    columns: z.array(z.enum(CLASSES)).length(3),
  }),
  /** The runtime and session options inference is exact for (docs/time-and-determinism.md). */
  runtime: z.strictObject({
    package: z.literal('onnxruntime-node'),
    version: z.string(),
    executionProviders: z.array(z.string()),
    intraOpNumThreads: z.literal(1),
    interOpNumThreads: z.literal(1),
    executionMode: z.literal('sequential'),
    graphOptimizationLevel: z.string(),
  }),
});

export type OnnxManifest = z.infer<typeof onnxManifestSchema>;

/** The `family` a model directory's manifest.json declares (undefined = an MLP), without validating the rest. */
export async function manifestFamily(dir: string): Promise<string | undefined> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(join(dir, MANIFEST_JSON), 'utf8'));
  } catch {
    return undefined; // readManifest reports the unreadable file with its reason
  }
  const f = (raw as { family?: unknown } | null)?.family;
  return typeof f === 'string' ? f : undefined;
}

/** Reads and validates an ONNX model's manifest.json; throws ModelError('MANIFEST_INVALID') with the reasons. */
export async function readOnnxManifest(dir: string): Promise<OnnxManifest> {
  const path = join(dir, MANIFEST_JSON);
  return readJsonFile(path, onnxManifestSchema, 'ONNX model manifest');
}
