/**
 * The deep-partial form of a schema section, for profiles: every object key optional, no defaults and no
 * cross-field refinements (those run on the merged result), unknown keys still errors. Lists, unions and
 * scalars are kept as they are, since a profile replaces them whole.
 */
import * as z from 'zod';

type Unwrapped = z.ZodType;

function unwrap(schema: z.ZodType): Unwrapped {
  if (schema instanceof z.ZodDefault || schema instanceof z.ZodPrefault || schema instanceof z.ZodOptional) {
    return unwrap(schema.unwrap() as z.ZodType);
  }
  return schema;
}

/** Overlay of an object schema; the result is a strict object whose keys are all optional. */
export function overlayOf(schema: z.ZodObject): z.ZodObject<Record<string, z.ZodOptional<z.ZodType>>, z.core.$strict> {
  const shape: Record<string, z.ZodOptional<z.ZodType>> = {};
  for (const [key, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
    shape[key] = overlayField(field).optional();
  }
  const overlay = z.strictObject(shape);
  const description = unwrap(schema).description;
  return description === undefined ? overlay : overlay.describe(description);
}

function overlayField(field: z.ZodType): z.ZodType {
  const inner = unwrap(field);
  const result = inner instanceof z.ZodObject ? overlayOf(inner) : inner;
  const description = field.description ?? inner.description;
  return description === undefined || result.description !== undefined ? result : result.describe(description);
}
