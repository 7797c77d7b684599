/**
 * Holds real answers to openapi.yaml: the status must be documented for the operation, and the
 * body must match the documented schema for its media type.
 */
import fs from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import YAML from 'yaml';

export const openapiDocument = YAML.parse(
  fs.readFileSync(path.join(__dirname, '..', '..', 'openapi.yaml'), 'utf8'),
) as {
  paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
};
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ ...openapiDocument, $id: 'openapi' });

function pointerEscape(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

function resolveResponse(value: unknown): { content?: Record<string, { schema?: unknown }> } {
  let current = value as { $ref?: string };
  while (current && typeof current.$ref === 'string') {
    const parts = current.$ref.replace(/^#\//, '').split('/');
    current = parts.reduce<unknown>(
      (node, key) => (node as Record<string, unknown>)[key.replace(/~1/g, '/').replace(/~0/g, '~')],
      openapiDocument,
    ) as { $ref?: string };
  }
  return current as { content?: Record<string, { schema?: unknown }> };
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
  text?: string;
}

/** Throws with the validation errors when `res` does not match the contract of `method path`. */
export function expectContract(res: Answer, method: string, pathTemplate: string): void {
  const operation = openapiDocument.paths[pathTemplate]?.[method.toLowerCase()];
  if (!operation) throw new Error(`openapi.yaml has no ${method} ${pathTemplate}`);
  const key = String(res.status) in operation.responses ? String(res.status) : `${String(res.status)[0]}XX`;
  const response = operation.responses[key];
  if (!response) throw new Error(`${method} ${pathTemplate} does not document status ${res.status}`);
  const contentType = (res.headers['content-type'] ?? '').split(';')[0]!.trim();
  const content = resolveResponse(response).content;
  if (!content) {
    if (res.status !== 204) throw new Error(`${method} ${pathTemplate} ${res.status} documents no body`);
    return;
  }
  const media = content[contentType];
  if (!media) throw new Error(`${method} ${pathTemplate} ${res.status} does not document ${contentType}`);
  const ref = `openapi#/paths/${pointerEscape(pathTemplate)}/${method.toLowerCase()}/responses/${key}`;
  const schemaRef =
    response && typeof (response as { $ref?: string }).$ref === 'string'
      ? `openapi${(response as { $ref: string }).$ref}/content/${pointerEscape(contentType)}/schema`
      : `${ref}/content/${pointerEscape(contentType)}/schema`;
  const validate = ajv.getSchema(schemaRef);
  if (!validate) throw new Error(`cannot compile ${schemaRef}`);
  const body = contentType.startsWith('text/') ? res.text : res.body;
  if (!validate(body)) {
    throw new Error(
      `${method} ${pathTemplate} ${res.status} does not match openapi.yaml: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body)}`,
    );
  }
}
