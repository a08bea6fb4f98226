import { Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../commands/index.js';
import { verbOf } from './command.js';

describe('command definitions', () => {
  it('key each flag by the attribute name commander stores its value under, so handlers read what was parsed', () => {
    for (const definition of COMMANDS) {
      for (const [key, spec] of Object.entries(definition.options)) {
        expect(key, `mlp ${verbOf(definition)} ${spec.flags}`).toBe(new Option(spec.flags).attributeName());
      }
    }
  });

  it('give every command that has a handler a module to import it from', async () => {
    for (const definition of COMMANDS.filter((entry) => entry.handler !== undefined)) {
      const module = await definition.handler!();
      expect(typeof module.default, verbOf(definition)).toBe('function');
    }
  });
});
