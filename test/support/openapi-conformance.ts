// Checks real answers against the OpenAPI document: each response's status, content type and body
// must be what the document says the operation answers. Messages name the operation, the status
// and ajv's complaints (paths and rules, never values), so a token in a body never reaches a log.
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { AssertionError } from 'node:assert';

/** One answer as a client received it. */
export interface ObservedResponse {
  readonly method: string;
  /** The request URL: path and query, or absolute. */
  readonly url: string;
  readonly status: number;
  readonly contentType: string | undefined;
  readonly body: string;
}

export interface Conformance {
  /** Throws an AssertionError when `response` is not an answer the document describes. */
  check(response: ObservedResponse): void;
}

type JsonObject = Record<string, unknown>;
const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

const DOCUMENT_ID = 'gatehouse-openapi.json';
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** A JSON pointer fragment to `segments` inside the document. */
function pointer(...segments: string[]): string {
  return `${DOCUMENT_ID}#/${segments.map((segment) => segment.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;
}

/** Without its trailing slash, which Fastify takes as optional (ignoreTrailingSlash). */
function withoutTrailingSlash(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

/** The path of a request URL (absolute, or path and query). */
function pathOf(url: string): string {
  return withoutTrailingSlash(new URL(url, 'http://gatehouse.invalid').pathname);
}

function mediaTypeOf(contentType: string): string {
  return (contentType.split(';', 1)[0] ?? '').trim().toLowerCase();
}

function describeErrors(errors: readonly ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .slice(0, 8)
    .map((error) => {
      const property = typeof error.params['additionalProperty'] === 'string' ? ` (${error.params['additionalProperty']})` : '';
      const missing = typeof error.params['missingProperty'] === 'string' ? ` (${error.params['missingProperty']})` : '';
      return `body${error.instancePath} ${error.message ?? error.keyword}${property}${missing}`;
    })
    .join('; ');
}

interface Route {
  readonly template: string;
  readonly pattern: RegExp;
  readonly methods: ReadonlyMap<string, JsonObject>;
}

/** The document's paths, those with fewer parameters first: as Fastify's router, a static segment wins. */
function routesOf(document: JsonObject): Route[] {
  const paths = isObject(document['paths']) ? document['paths'] : {};
  const parameters = (template: string): number => template.split('{').length;
  const templates = Object.entries(paths).sort(([a], [b]) => parameters(a) - parameters(b));
  return templates.map(([template, item]) => {
    const source = withoutTrailingSlash(template)
      .split(/\{[^}]+\}/)
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('[^/]+');
    const methods = new Map<string, JsonObject>();
    for (const method of METHODS) {
      const operation = isObject(item) ? item[method] : undefined;
      if (isObject(operation)) methods.set(method.toUpperCase(), operation);
    }
    return { template, pattern: new RegExp(`^${source}$`), methods };
  });
}

function conformanceFor(document: JsonObject): Conformance {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  // Our one format; ajv-formats is not a dependency for the sake of a single regular expression.
  ajv.addFormat('date-time', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$/i);
  ajv.addSchema(document, DOCUMENT_ID);
  const validators = new Map<string, ValidateFunction>();
  const validatorAt = (ref: string): ValidateFunction => {
    let validate = validators.get(ref);
    if (validate === undefined) {
      validate = ajv.compile({ $ref: ref });
      validators.set(ref, validate);
    }
    return validate;
  };
  const routes = routesOf(document);
  const responses = isObject(document['components']) && isObject(document['components']['responses']) ? document['components']['responses'] : {};

  /** The documented answer for this request and status, and where it is in the document. */
  function documented(method: string, path: string, status: number): { name: string; response: JsonObject; at: string[] } {
    const route = routes.find((candidate) => candidate.pattern.test(path));
    const generic = (name: string, why: string): { name: string; response: JsonObject; at: string[] } => {
      const response = responses[name];
      if (!isObject(response)) throw new AssertionError({ message: `${why}, and the document has no components.responses.${name}` });
      return { name: `${why} (components.responses.${name})`, response, at: ['components', 'responses', name] };
    };
    if (route === undefined) {
      if (status === 404) return generic('NotFound', `${method} of a path the document does not have`);
      throw new AssertionError({ message: `${method} ${path}: the document has no such path, and ${status} is not the documented 404 of unknown paths` });
    }
    // Fastify answers HEAD for every GET route (without a body); the document lists the GET.
    const operation = route.methods.get(method) ?? (method === 'HEAD' ? route.methods.get('GET') : undefined);
    const lookup = route.methods.has(method) ? method.toLowerCase() : 'get';
    if (operation === undefined) {
      if (status === 405) return generic('MethodNotAllowed', `${method} ${route.template}, a path without that method`);
      throw new AssertionError({ message: `${method} ${route.template}: the document has no such operation, and ${status} is not the documented 405` });
    }
    const name = `${String(operation['operationId'] ?? '?')} (${method} ${route.template})`;
    const documentedResponses = isObject(operation['responses']) ? operation['responses'] : {};
    const response = documentedResponses[String(status)];
    if (!isObject(response)) throw new AssertionError({ message: `${name} answered ${status}, which the document does not list (it lists ${Object.keys(documentedResponses).join(', ')})` });
    return { name, response, at: ['paths', route.template, lookup, 'responses', String(status)] };
  }

  return {
    check({ method, url, status, contentType, body }) {
      const { name, response, at } = documented(method.toUpperCase(), pathOf(url), status);
      const content = isObject(response['content']) ? response['content'] : undefined;
      if (content === undefined) {
        if (body !== '') throw new AssertionError({ message: `${name} ${status}: the document says no body, and one came (${contentType ?? 'no content type'})` });
        return;
      }
      if (method.toUpperCase() === 'HEAD') return;
      const mediaType = contentType === undefined ? undefined : mediaTypeOf(contentType);
      const key = Object.keys(content).find((candidate) => mediaTypeOf(candidate) === mediaType);
      if (key === undefined) {
        throw new AssertionError({ message: `${name} ${status}: content type ${contentType ?? '(none)'} is not documented (${Object.keys(content).join(', ')})` });
      }
      let value: unknown = body;
      if (mediaType === 'application/json' || mediaType?.endsWith('+json') === true) {
        try {
          value = JSON.parse(body);
        } catch {
          throw new AssertionError({ message: `${name} ${status}: the body is not JSON` });
        }
      }
      const validate = validatorAt(pointer(...at, 'content', key, 'schema'));
      if (!validate(value)) throw new AssertionError({ message: `${name} ${status}: the body does not match the document: ${describeErrors(validate.errors)}` });
    },
  };
}

const byDocument = new Map<string, Conformance>();

/**
 * The checker for one OpenAPI document (compiled once per distinct document in a process).
 *
 * @example conformanceOf(app.swagger()).check({ method: 'GET', url: '/healthz', status: 200, contentType: 'application/json', body: '{"status":"ok"}' });
 */
export function conformanceOf(document: object): Conformance {
  const text = JSON.stringify(document);
  let conformance = byDocument.get(text);
  if (conformance === undefined) {
    conformance = conformanceFor(JSON.parse(text) as JsonObject);
    byDocument.set(text, conformance);
  }
  return conformance;
}
