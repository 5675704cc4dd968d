// The global guard of the REST API: each Skald route names the scope it needs with @RequiresScope
// (or @MetricsAndDocs for /metrics); routes without one (such as /health, or routes of a user's
// own app around SkaldModule) are not checked. The key's name becomes the request's actor.
import {
  applyDecorators,
  createParamDecorator,
  Inject,
  Injectable,
  Logger,
  SetMetadata,
  type CanActivate,
  type ExecutionContext,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  ApiBearerAuth,
  ApiExtension,
  ApiForbiddenResponse,
  ApiUnauthorizedResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ANONYMOUS_ACTOR, ApiAccess, describeKey, type ApiScope } from './api-keys';
import { AUTH_ERROR_CODES, ApiKeyRequiredError } from './errors';

export const API_ACCESS = Symbol('API_ACCESS');
/** The name of the OpenAPI security scheme (a bearer token). */
export const BEARER_SCHEME = 'api-key';

/**
 * The OpenAPI schema of every error answer, `{ statusCode, error, message, code? }`: declared by
 * api/dto/error-body.dto.ts (above this layer), named here so the 401 and 403 below can refer to it.
 */
export const ERROR_BODY_SCHEMA = 'ErrorBody';

/** The metadata key of a route's scope (read by the guard, and by the spec that checks every route has one). */
export const SCOPE_METADATA = 'skald:scope';
const METRICS_AND_DOCS = 'skald:metrics-and-docs';
const ACTOR = Symbol('skald:actor');

type RequestWithActor = Request & { [ACTOR]?: string };

/** The scope a route needs when keys are configured, declared for the guard and the OpenAPI document. */
export const RequiresScope = (scope: ApiScope) =>
  applyDecorators(
    SetMetadata(SCOPE_METADATA, scope),
    ApiBearerAuth(BEARER_SCHEME),
    ApiExtension('x-skald-scope', scope),
    ApiUnauthorizedResponse({
      description: 'no API key, a malformed one, or an unknown one',
      schema: { $ref: getSchemaPath(ERROR_BODY_SCHEMA) },
      example: {
        statusCode: 401,
        error: 'Unauthorized',
        message: 'an API key is required: send Authorization: Bearer <secret>',
        code: AUTH_ERROR_CODES.apiKeyRequired,
      },
    }),
    ApiForbiddenResponse({
      description: `the API key lacks the scope "${scope}" (or admin)`,
      schema: { $ref: getSchemaPath(ERROR_BODY_SCHEMA) },
      example: {
        statusCode: 403,
        error: 'Forbidden',
        message: `API key ci lacks the scope "${scope}" that this route needs (it has ${scope === 'read' ? 'start' : 'read'})`,
        code: AUTH_ERROR_CODES.apiKeyScope,
      },
    }),
  );

/** `read`, unless SKALD_PUBLIC_METRICS_AND_DOCS opens the route. */
export const MetricsAndDocs = () =>
  applyDecorators(SetMetadata(METRICS_AND_DOCS, true), RequiresScope('read'));

/** The name of the key the request was made with; `anonymous` when no keys are configured. */
export const Actor = createParamDecorator(
  (_data: unknown, context: ExecutionContext): string =>
    context.switchToHttp().getRequest<RequestWithActor>()[ACTOR] ?? ANONYMOUS_ACTOR,
);

/** Checks a request for `scope`; a 401 carries `WWW-Authenticate: Bearer`, as RFC 6750 asks. */
export function authorizeRequest(
  access: ApiAccess,
  req: Request,
  res: Response,
  scope: ApiScope,
): string {
  try {
    // the route's pattern (`/v1/sagas/:id/cancel`) where express matched one
    const path = (req.route as { path?: string } | undefined)?.path ?? req.path;
    const actor = access.authorize(req.headers.authorization, scope, `${req.method} ${path}`);
    (req as RequestWithActor)[ACTOR] = actor;
    return actor;
  } catch (error) {
    if (error instanceof ApiKeyRequiredError)
      res.setHeader('WWW-Authenticate', 'Bearer realm="skald"');
    throw error;
  }
}

@Injectable()
export class ApiKeyGuard implements CanActivate, OnApplicationBootstrap {
  private readonly logger = new Logger('auth');

  constructor(
    private readonly reflector: Reflector,
    @Inject(API_ACCESS) private readonly access: ApiAccess,
  ) {}

  /** Once at start-up: whether the API is open, or which keys (names and scopes) it accepts. */
  onApplicationBootstrap(): void {
    if (this.access.open) {
      this.logger.warn(
        'the REST API is open: no API keys are configured, so anyone who reaches it can start, ' +
          'cancel and retry sagas. Close it with SKALD_API_KEYS=name:scopes:secret (or ' +
          'SKALD_API_KEYS_FILE); see docs/rest-api.md#authentication',
      );
      return;
    }
    const open = this.access.publicMetricsAndDocs ? '; /metrics and /docs are public' : '';
    this.logger.log(`API keys: ${this.access.keys.map(describeKey).join(', ')}${open}`);
  }

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    const scope = this.reflector.getAllAndOverride<ApiScope | undefined>(SCOPE_METADATA, targets);
    if (!scope) return true;
    if (
      this.access.publicMetricsAndDocs &&
      this.reflector.getAllAndOverride(METRICS_AND_DOCS, targets)
    )
      return true;
    const http = context.switchToHttp();
    authorizeRequest(this.access, http.getRequest<Request>(), http.getResponse<Response>(), scope);
    return true;
  }
}
