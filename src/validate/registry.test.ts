/** The rule registry: every finding id belongs to one rule and says what it means (SARIF shows it). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RULES } from './registry.js';

describe('rule registry', () => {
  it('gives every finding id one rule and a description', () => {
    const owner = new Map<string, string>();
    for (const rule of RULES) {
      assert.ok(rule.description.length > 10, rule.description);
      for (const [id, text] of Object.entries(rule.findings)) {
        assert.match(id, /^[a-z][a-z0-9-]+$/);
        assert.ok(text.length > 10, `${id} says what it means`);
        assert.equal(owner.get(id), undefined, `${id} belongs to one rule`);
        owner.set(id, rule.description);
      }
    }
    assert.ok(owner.size >= 20);
  });
});
