import { readFile } from 'node:fs/promises';
import { importOnnx } from '../../model/onnx/onnx-import.ts';
import { featureSetById } from '../../processors/graph.ts';
import type { ValuesOf } from '../command-spec.ts';
import { info, printJson, UsageError } from '../output.ts';
import type { MODEL_IMPORT } from '../specs/model.ts';

type Options = ValuesOf<typeof MODEL_IMPORT>;

/** `tickflow model import --onnx`: a model trained elsewhere, wrapped with a manifest. */
export async function run(values: Options, sub: string): Promise<number> {
  if (sub !== 'import') throw new UsageError(`unknown model subcommand ${JSON.stringify(sub)}`);
  const featureSet = featureSetById(values['feature-set'], values.interval);
  const m = await importOnnx({
    bytes: new Uint8Array(await readFile(values.onnx)),
    features: values.features,
    featureSet,
    out: values.out,
    ...(values.classes === undefined ? {} : { classes: values.classes }),
  });
  info(`model ${m.modelId} (onnx, ${m.featureNames.length} features of ${m.featureSetId}, columns ${m.onnx.columns.join('/')}) written to ${values.out}`);
  printJson({
    modelId: m.modelId,
    family: m.family,
    featureSetId: m.featureSetId,
    featureSetHash: m.featureSetHash,
    features: m.featureNames.length,
    input: m.onnx.input,
    output: m.onnx.output,
    columns: m.onnx.columns,
    runtime: `${m.runtime.package}@${m.runtime.version}`,
    out: values.out,
  });
  return 0;
}
