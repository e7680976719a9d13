/**
 * Splits a stream of text chunks into lines (`\n`, optional `\r` before it), bounded: a
 * partial line longer than the limit is an error rather than a buffer that grows forever.
 */
export class LineSplitter {
  readonly #maxLength: number;
  #partial = '';

  constructor(maxLength: number) {
    this.#maxLength = maxLength;
  }

  /** The complete lines in `chunk` (after what was buffered), or undefined past the limit. */
  push(chunk: string): string[] | undefined {
    const parts = (this.#partial + chunk).split('\n');
    this.#partial = parts.pop()!;
    if (this.#partial.length > this.#maxLength) return undefined;
    const lines: string[] = [];
    for (const part of parts) {
      if (part.length > this.#maxLength) return undefined;
      const line = part.endsWith('\r') ? part.slice(0, -1) : part;
      if (line !== '') lines.push(line);
    }
    return lines;
  }
}
