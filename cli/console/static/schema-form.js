// @ts-check
// A runbook's input as a form: the fields come from its JSON Schema (made from its zod schema), and what is typed is
// read back as the input `lifeboat run --set` would give.

import { h } from './dom.js';

/** @import { InputSchema, SchemaProperty } from './api.js' */

/**
 * One form field from a JSON Schema property: the same fields, defaults and descriptions as the runbook's zod schema.
 * @param {string} name
 * @param {SchemaProperty} prop
 * @param {boolean} required
 */
export function fieldFor(name, prop, required) {
  const type = Array.isArray(prop.type) ? prop.type.find((t) => t !== 'null') : prop.type;
  const help = prop.description ? h('p', { class: 'help' }, prop.description) : null;
  const label = `${name}${required && prop.default === undefined ? ' (required)' : ''}`;
  const placeholder = prop.default !== undefined ? `default: ${typeof prop.default === 'object' ? JSON.stringify(prop.default) : String(prop.default)}` : '';
  const defaultOption = () => h('option', { value: '' }, prop.default !== undefined ? `default (${String(prop.default)})` : 'choose…');
  /** @type {HTMLSelectElement | HTMLInputElement | HTMLTextAreaElement} */
  let input;
  if (prop.enum)
    input = h(
      'select',
      { name },
      defaultOption(),
      prop.enum.map((v) => h('option', { value: String(v) }, String(v))),
    );
  else if (type === 'boolean') input = h('select', { name }, defaultOption(), h('option', { value: 'true' }, 'yes'), h('option', { value: 'false' }, 'no'));
  else if (type === 'integer' || type === 'number')
    input = h('input', { type: 'number', name, step: type === 'integer' ? 1 : 'any', min: prop.minimum, max: prop.maximum, placeholder });
  else if (type === 'string')
    input = h('input', {
      type: 'text',
      name,
      maxlength: prop.maxLength,
      placeholder: prop.format === 'date-time' ? 'e.g. 2026-11-26T03:00:00Z' : placeholder,
      autocomplete: 'off',
    });
  else input = h('textarea', { name, placeholder: `JSON${placeholder ? `, ${placeholder}` : ''}`, dataset: { json: '1' } });
  input.dataset.kind = type || 'json';
  return h('label', {}, label, input, help);
}

/**
 * The input the fields hold: empty ones are left out (the runbook's defaults apply), numbers and yes/no are typed,
 * and anything else is read as JSON, or as a comma-separated list of words where the schema wants a list.
 * @param {HTMLElement} fields
 * @param {InputSchema | undefined} schema
 * @returns {Record<string, unknown>}
 */
export function inputFrom(fields, schema) {
  /** @type {Record<string, unknown>} */
  const input = {};
  for (const el of fields.querySelectorAll('input, select, textarea')) {
    if (!(el instanceof HTMLInputElement || el instanceof HTMLSelectElement || el instanceof HTMLTextAreaElement)) continue;
    const raw = el.value.trim();
    if (raw === '') continue;
    const kind = el.dataset.kind;
    if (kind === 'boolean') input[el.name] = raw === 'true';
    else if (kind === 'integer' || kind === 'number') input[el.name] = Number(raw);
    else if (kind === 'string') input[el.name] = raw;
    else {
      try {
        input[el.name] = JSON.parse(raw);
      } catch {
        const prop = schema && schema.properties && schema.properties[el.name];
        // A list of words may be typed comma-separated, as --set takes it.
        input[el.name] =
          prop && prop.type === 'array'
            ? raw
                .split(',')
                .map((s) => s.trim())
                .filter(Boolean)
            : raw;
      }
    }
  }
  return input;
}
