/**
 * `docutray.documentMetadata`: an object sent with every run, whose string values may use
 * `${fileName}`, `${relativePath}` and `${workspaceFolder}`. Unknown variables are left as written.
 */
import { InvalidInputError } from '../api/errors';
import type { DocumentMetadata } from '../documents/input';

export interface MetadataVariables {
  fileName: string;
  relativePath: string;
  workspaceFolder: string;
}

export function expandMetadata(template: unknown, vars: MetadataVariables): DocumentMetadata | undefined {
  if (template === undefined || template === null) {
    return undefined;
  }
  if (typeof template !== 'object' || Array.isArray(template)) {
    throw new InvalidInputError(
      'badMetadata',
      'The setting docutray.documentMetadata must be a JSON object, like {"source": "${relativePath}"}.',
    );
  }
  if (Object.keys(template).length === 0) {
    return undefined;
  }
  return expand(template, vars) as DocumentMetadata;
}

function expand(value: unknown, vars: MetadataVariables): unknown {
  if (typeof value === 'string') {
    return value.replace(
      /\$\{(fileName|relativePath|workspaceFolder)\}/g,
      (_, name: keyof MetadataVariables) => vars[name],
    );
  }
  if (Array.isArray(value)) {
    return value.map(v => expand(v, vars));
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expand(v, vars)]));
  }
  return value;
}
