// The transpiled component is the one the Rust host embeds, and generated/ is up to date.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { embeddedSha256 } from './expected.js';
import { RuntimeComponent, componentPath, sha256 } from './support.js';

test('the transpiled component is the embedded one', async () => {
  const component = await RuntimeComponent.default();
  assert.equal(component.source.sha256, embeddedSha256());
});

test('generated/ was transpiled from the current component file', async () => {
  const component = await RuntimeComponent.default();
  assert.equal(component.source.sha256, sha256(readFileSync(componentPath())));
});

test('a missing transpilation names the command that makes it', async () => {
  await assert.rejects(RuntimeComponent.load('/nonexistent/generated'), /run `npm run transpile`/);
});
