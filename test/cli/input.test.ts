import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { CliError } from '../../cli/errors';
import { buildInput } from '../../cli/input';

function refusal(run: () => unknown): { message: string; exitCode: number } {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(CliError);
    return { message: (err as CliError).message, exitCode: (err as CliError).exitCode };
  }
  throw new Error('not refused');
}

test('--set nests dotted keys and reads JSON values', () => {
  expect(buildInput(undefined, ['service=booking', 'rpo.seconds=5', 'rpo.strict=true', 'hosts=["a","b"]'])).toEqual({
    service: 'booking',
    rpo: { seconds: 5, strict: true },
    hosts: ['a', 'b'],
  });
});

test('--set refuses __proto__, constructor and prototype at any depth, naming the key, and pollutes nothing', () => {
  for (const key of ['__proto__.polluted', 'constructor.prototype.polluted', 'a.__proto__.polluted', 'a.b.constructor', 'prototype', 'x.prototype.y']) {
    expect(refusal(() => buildInput(undefined, [`${key}=yes`]))).toEqual({
      message: `--set ${key}: "${key.split('.').find((p) => ['__proto__', 'constructor', 'prototype'].includes(p))}" cannot be an input key`,
      exitCode: 2,
    });
  }
  expect(refusal(() => buildInput(undefined, ['rpo={"__proto__":{"polluted":"yes"}}'])).message).toBe('--set rpo: "__proto__" cannot be an input key');
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect((Object.prototype as unknown as Record<string, unknown>).polluted).toBeUndefined();
});

test('--input refuses a prototype key anywhere in the file, naming its path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-input-'));
  try {
    const file = join(dir, 'input.json');
    writeFileSync(file, '{"service":"booking","rpo":{"constructor":{"prototype":{"polluted":"yes"}}}}');
    expect(refusal(() => buildInput(file, []))).toEqual({ message: `--input ${file}: "rpo.constructor" cannot be an input key`, exitCode: 2 });
    writeFileSync(file, '{"service":"booking"}');
    expect(buildInput(file, ['toString.x=1'])).toEqual({ service: 'booking', toString: { x: 1 } });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
