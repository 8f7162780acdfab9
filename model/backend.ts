import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { silentLogger, type Logger } from '../lib/log.ts';

import { BACKENDS, type BackendName } from './backend-names.ts';

export { BACKENDS, type BackendName };

/** Optional native backend; it fails to install here (see ENVIRONMENT.md), hence a runtime import. */
const NATIVE_MODULE = '@tensorflow/tfjs-node-gpu';

let wasmPathsSet = false;

/**
 * Selects and initializes a tfjs backend and returns the one actually in use (it goes into the
 * manifest: weights trained on different backends differ in their last bits).
 * - wasm (default): the .wasm binaries sit in the package's dist/ folder; in Node the emscripten
 *   loader reads them from the filesystem once given that folder with setWasmPaths.
 * - cpu: plain JavaScript kernels.
 * - tensorflow: @tensorflow/tfjs-node-gpu when importable, else a warning to `logger` and wasm.
 * Also enables tfjs prod mode (drops debug checks and the "install tfjs-node" hint on stderr).
 */
export async function useBackend(requested: BackendName = 'wasm', logger: Logger = silentLogger()): Promise<BackendName> {
  const warn = (message: string): void => logger.warn({ component: 'model', event: 'backend-fallback' }, message);
  tf.enableProdMode();
  let name = requested;
  if (name === 'tensorflow') {
    try {
      await import(NATIVE_MODULE);
      if (!(await tf.setBackend('tensorflow'))) throw new Error('the tensorflow backend did not initialize');
      return 'tensorflow';
    } catch (err) {
      warn(`${NATIVE_MODULE} is not usable (${(err as Error).message.split('\n')[0]}); falling back to the wasm backend`);
      name = 'wasm';
    }
  }
  if (name === 'wasm') {
    if (!wasmPathsSet) {
      const require = createRequire(import.meta.url);
      setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`);
      wasmPathsSet = true;
    }
    if (await tf.setBackend('wasm')) return 'wasm';
    warn('the wasm backend failed to initialize; falling back to the cpu backend');
  }
  if (!(await tf.setBackend('cpu'))) throw new Error('tfjs cpu backend failed to initialize');
  return 'cpu';
}
