import { describe, expect, it } from 'vitest';
import { OutputBuffer } from './output-buffer.js';

describe('OutputBuffer', () => {
  it('hands over complete lines per stream, never mixing two streams in one line', () => {
    const buffer = new OutputBuffer();
    const lines: string[] = [];
    buffer.onLine((line) => lines.push(line));
    buffer.append('stdout', 'hel');
    buffer.append('stderr', 'oops\n');
    buffer.append('stdout', 'lo\nwor');
    buffer.end('stdout');
    expect(lines).toEqual(['oops', 'hello', 'wor']);
    expect(buffer.text()).toBe('heloops\nlo\nwor');
  });

  it('keeps the head and the tail of a long output, with a marker between', () => {
    const buffer = new OutputBuffer({ headChars: 10, tailChars: 10 });
    for (let i = 0; i < 100; i++) buffer.append('stdout', `${String(i).padStart(3, '0')}\n`);
    const text = buffer.text();
    expect(text.startsWith('000\n001\n00')).toBe(true);
    expect(text).toContain('\n[…]\n');
    expect(text.endsWith('8\n099\n')).toBe(true);
    expect(text.length).toBeLessThanOrEqual(10 + 5 + 10);
  });

  it('gives the last lines', () => {
    const buffer = new OutputBuffer();
    buffer.append('stdout', 'a\nb\nc\nd');
    expect(buffer.lastLines(2)).toBe('c\nd');
  });

  it('stops calling a listener once unsubscribed', () => {
    const buffer = new OutputBuffer();
    const lines: string[] = [];
    const unsubscribe = buffer.onLine((line) => lines.push(line));
    buffer.append('stdout', 'one\n');
    unsubscribe();
    buffer.append('stdout', 'two\n');
    expect(lines).toEqual(['one']);
  });
});
