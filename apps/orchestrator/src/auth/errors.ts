// Errors of the API-key check; api/error.filter.ts answers them 401 and 403. Their messages name
// keys and scopes, never a secret.
import { SkaldError } from '@skald/protocol';

export const AUTH_ERROR_CODES = {
  apiKeyRequired: 'API_KEY_REQUIRED',
  apiKeyScope: 'API_KEY_SCOPE',
} as const;

/** No key, a malformed header or an unknown key: 401. */
export class ApiKeyRequiredError extends SkaldError {
  readonly code = AUTH_ERROR_CODES.apiKeyRequired;
  readonly retryable = false;
}

/** A known key without the scope the route needs: 403. */
export class ApiKeyScopeError extends SkaldError {
  readonly code = AUTH_ERROR_CODES.apiKeyScope;
  readonly retryable = false;
}
