/**
 * A child's output, bounded: the first `headChars` (how it started) and the last `tailChars`
 * (how it ended), so a long-running process cannot exhaust memory and a failure message can
 * still show both ends. Complete lines are handed to listeners as they arrive, per stream, so
 * a line is never split by output of the other stream.
 */
export interface OutputLimits {
  /** Characters kept from the start; default 64 KiB. */
  headChars?: number;
  /** Characters kept from the end; default 2 MiB. */
  tailChars?: number;
}

export const defaultOutputLimits = { headChars: 64 * 1024, tailChars: 2 * 1024 * 1024 } as const;

export type LineListener = (line: string) => void;

export class OutputBuffer {
  readonly #headChars: number;
  readonly #tailChars: number;
  #head = '';
  #tail = '';
  #dropped = false;
  readonly #partial = new Map<string, string>();
  readonly #listeners = new Set<LineListener>();

  constructor(limits: OutputLimits = {}) {
    this.#headChars = limits.headChars ?? defaultOutputLimits.headChars;
    this.#tailChars = limits.tailChars ?? defaultOutputLimits.tailChars;
  }

  /** Adds a chunk that `stream` printed; calls the listeners once per completed line. */
  append(stream: string, chunk: string): void {
    this.#store(chunk);
    const text = (this.#partial.get(stream) ?? '') + chunk;
    const lines = text.split('\n');
    this.#partial.set(stream, lines.pop() ?? '');
    for (const line of lines) this.#emit(line);
  }

  /** The stream ended: its unfinished last line counts as a line. */
  end(stream: string): void {
    const rest = this.#partial.get(stream);
    this.#partial.delete(stream);
    if (rest) this.#emit(rest);
  }

  /** What was kept, with a marker where the middle was dropped. */
  text(): string {
    if (this.#dropped) return `${this.#head}\n[…]\n${this.#tail.slice(-this.#tailChars)}`;
    return this.#head + this.#tail;
  }

  /** The last `count` lines of `text()`. */
  lastLines(count: number): string {
    return this.text().split('\n').slice(-count).join('\n');
  }

  /** Calls `listener` with each line completed from now on; returns the unsubscribe. */
  onLine(listener: LineListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #store(chunk: string): void {
    const room = this.#headChars - this.#head.length;
    if (room > 0) {
      this.#head += chunk.slice(0, room);
      chunk = chunk.slice(room);
    }
    if (chunk === '') return;
    this.#tail += chunk;
    // Trim in steps rather than on every chunk: a slice of megabytes per log line is costly.
    if (this.#tail.length > 2 * this.#tailChars) {
      this.#tail = this.#tail.slice(-this.#tailChars);
      this.#dropped = true;
    } else if (this.#tail.length > this.#tailChars) {
      this.#dropped = true;
    }
  }

  #emit(line: string): void {
    for (const listener of [...this.#listeners]) listener(line);
  }
}
