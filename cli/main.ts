// `tickflow`: the CLI's process edge. What a command does is cli/run.ts; here the process's
// arguments go in and the exit code comes out (no top-level await: a command whose work ends
// with pending promises exits as before, not with Node's unsettled-await code 13).
import { runTickflow } from './run.ts';

void runTickflow(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
