// Reading ARM JSON bodies safely: every field is checked, a bad one is a 400 naming its path.
import { SimError } from '../errors.js';

export type Json = Record<string, unknown>;

export function badRequest(message: string): SimError {
  return new SimError(400, 'InvalidRequestFormat', message);
}

export function obj(value: unknown, path: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw badRequest(`${path} must be an object`);
  return value as Json;
}

export function optObj(value: unknown, path: string): Json | undefined {
  return value === undefined || value === null ? undefined : obj(value, path);
}

export function optStr(value: unknown, path: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw badRequest(`${path} must be a string`);
  return value;
}

export function optBool(value: unknown, path: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw badRequest(`${path} must be a boolean`);
  return value;
}

export function arr(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw badRequest(`${path} must be an array`);
  return value;
}

export function parseJson(text: string): Json {
  try {
    return obj(JSON.parse(text), 'the request body');
  } catch (e) {
    if (e instanceof SimError) throw e;
    throw badRequest('the request body is not valid JSON');
  }
}
