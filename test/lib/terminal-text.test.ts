import { expect, test } from 'vitest';
import { terminalSafeJson, visibleFields, visibleLine, visibleLogFunction, visibleText } from '../../lib/terminal-text';
import { expectInert, hostile } from '../helpers/hostile-status';

test('control characters are shown as escapes; newlines and tabs stay, except on one line', () => {
  expect(visibleText('a\x1b[2Jb\tc\nd\u202ee\u009bf\x7f')).toBe('a\\x1b[2Jb\tc\nd\\u202ee\\x9bf\\x7f');
  expect(visibleLine('a\nb\tc\r')).toBe('a\\nb\\tc\\r');
  expect(visibleText('plain — ✓ ünïcode 日本')).toBe('plain — ✓ ünïcode 日本');
  expectInert(visibleText(hostile));
  expect(visibleText(visibleText(hostile))).toBe(visibleText(hostile));
});

test('every string and key of a value is made visible, and other values are kept', () => {
  expect(visibleFields({ [`k${'\x1b'}`]: ['\x07', 1, null, { deep: '\u202e' }], n: 2, b: true })).toEqual({
    'k\\x1b': ['\\x07', 1, null, { deep: '\\u202e' }],
    n: 2,
    b: true,
  });
});

test('JSON for a terminal escapes what JSON.stringify leaves raw and still parses to the same data', () => {
  const value = { text: hostile, list: [hostile] };
  const json = terminalSafeJson(value, 2);
  expectInert(json, { shown: false });
  expect(JSON.parse(json)).toEqual(value);
  expect(JSON.stringify(value)).toMatch(/[\u009b\u202e\x7f]/);
});

test("the worker's log function writes message and fields with control characters made visible", () => {
  const lines: string[] = [];
  const write = visibleLogFunction((line) => lines.push(line));
  const error = new Error(`step failed: ${hostile}`);
  write({ level: 'WARN', message: `Activity failed ${hostile}`, meta: { error, note: hostile }, timestampNanos: 1_764_000_000_000_000_000n });
  expect(lines).toHaveLength(1);
  expectInert(lines[0]!);
  expect(lines[0]).toMatch(/^2025-11-24T16:00:00\.000Z \[WARN\] Activity failed \\x1b\]0;pwned\\x07/);
  expect(lines[0]).toContain('step failed: \\x1b]0;pwned');
});
