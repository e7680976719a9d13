/** The JSON result file (`--out`): the whole RunResult (or a scale report), pretty-printed. */
import { writeOutput } from './output-path.js';

export function writeJson(path: string, value: unknown): void {
  writeOutput(path, `${JSON.stringify(value, null, 2)}\n`);
}
