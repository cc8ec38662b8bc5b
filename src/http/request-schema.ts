/**
 * The request schemas Gatehouse's validators understand: an object of named text or whole-number
 * fields. The same objects are the route's `schema.body` / `querystring` / `params`, so the API
 * description lists exactly the fields the validators check.
 */

/** A text field; `enum` limits it to listed values, answered with `errorMessage` otherwise. */
export interface TextField {
  readonly type: 'string';
  readonly enum?: readonly string[];
  readonly errorMessage?: string;
  readonly description?: string;
  readonly examples?: readonly string[];
}

/** A whole number within [minimum, maximum] (query strings only). */
export interface IntegerField {
  readonly type: 'integer';
  readonly minimum: number;
  readonly maximum: number;
  readonly default?: number;
  readonly description?: string;
}

export interface FieldsSchema {
  readonly type: 'object';
  readonly properties: Readonly<Record<string, TextField | IntegerField>>;
  readonly required?: readonly string[];
  readonly description?: string;
  readonly examples?: readonly unknown[];
}

type RequiredNames<S> = S extends { readonly required: readonly (infer R)[] } ? R : never;
type DefaultedNames<P> = { [K in keyof P]: P[K] extends { readonly default: number } ? K : never }[keyof P];
type ValueOf<F> = F extends { readonly type: 'integer' } ? number : F extends { readonly enum: readonly (infer E)[] } ? E : string;
type Present<S, P> = RequiredNames<S> | DefaultedNames<P>;

/**
 * What a validator hands the handler for the fields schema `S`: required and defaulted fields
 * always present, the others optional, text as strings and whole numbers as numbers.
 *
 * @example app.post<{ Body: Validated<typeof LOGIN_BODY> }>('/api/token/', { schema: { body: LOGIN_BODY } }, …)
 */
export type Validated<S> = S extends { readonly properties: infer P }
  ? { -readonly [K in keyof P as K extends Present<S, P> ? K : never]: ValueOf<P[K]> } & {
      -readonly [K in keyof P as K extends Present<S, P> ? never : K]?: ValueOf<P[K]>;
    }
  : never;

/** A field as a validator reads it, with whether it must be present. */
export type ReadField = (TextField | IntegerField) & { readonly name: string; readonly isRequired: boolean };

/** Keywords that only describe; everything else must be understood by the validator, or the app refuses to start. */
const ANNOTATIONS = new Set(['description', 'examples', 'title', '$comment']);
const FIELD_KEYWORDS: Readonly<Record<string, ReadonlySet<string>>> = {
  string: new Set(['type', 'enum', 'errorMessage']),
  integer: new Set(['type', 'minimum', 'maximum', 'default']),
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The fields of a route's request schema, in declaration order. Throws at start, naming the route
 * and the keyword, for anything a Gatehouse validator would not check (so the description can
 * never promise a rule nobody enforces).
 */
export function readFieldsSchema(schema: unknown, where: string, types: ReadonlySet<'string' | 'integer'>): readonly ReadField[] {
  const refuse = (what: string): never => {
    throw new Error(`${where}: ${what} is not supported by Gatehouse's request validators`);
  };
  if (!isRecord(schema) || schema['type'] !== 'object' || !isRecord(schema['properties'])) return refuse('a schema other than {type: "object", properties}');
  for (const key of Object.keys(schema)) if (!['type', 'properties', 'required'].includes(key) && !ANNOTATIONS.has(key)) refuse(`the keyword "${key}"`);
  const required = schema['required'] ?? [];
  if (!Array.isArray(required) || required.some((name) => typeof name !== 'string' || !Object.hasOwn(schema['properties'] as object, name))) {
    refuse('"required" naming an undeclared field');
  }
  return Object.entries(schema['properties']).map(([name, field]) => {
    const type = isRecord(field) ? field['type'] : undefined;
    if (!isRecord(field) || (type !== 'string' && type !== 'integer') || !types.has(type)) return refuse(`the field "${name}" (${String(type)})`);
    const known = FIELD_KEYWORDS[type] as ReadonlySet<string>;
    for (const key of Object.keys(field)) if (!known.has(key) && !ANNOTATIONS.has(key)) refuse(`the keyword "${key}" on "${name}"`);
    if (type === 'integer' && (typeof field['minimum'] !== 'number' || typeof field['maximum'] !== 'number')) refuse(`"${name}" without minimum and maximum`);
    return { ...(field as unknown as TextField | IntegerField), name, isRequired: (required as string[]).includes(name) };
  });
}
