/** The pandas reference for full-v1's new bar features (test/fixtures/features/make_reference_full.py). */
import { readFileSync } from 'node:fs';
import type { Reference } from '../features/reference-data.ts';

export function loadReferenceFull(): Reference {
  return JSON.parse(readFileSync(new URL('../../fixtures/features/reference_full.json', import.meta.url), 'utf8')) as Reference;
}
