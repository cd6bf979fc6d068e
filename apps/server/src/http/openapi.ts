/**
 * The OpenAPI 3.1 document, generated from the same zod schemas that validate the calls:
 * the original `POST /orders`, the completion procedures over tRPC's HTTP wire format
 * (superjson: inputs and results travel under `json`), and the operations endpoints.
 */
import { appRouter, completeInputSchema } from '@ocs/api';
import { completeOrderResponseSchema, completionErrorCodes } from '@ocs/domain';
import { z } from 'zod';

type JsonSchema = Record<string, unknown>;

function schemaOf(schema: z.ZodType, io: 'input' | 'output' = 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' });
  return rest;
}

/** The input schema a procedure declares, read from the router itself. */
function procedureInput(procedure: { _def: { inputs: unknown[] } }): z.ZodType {
  const input = procedure._def.inputs[0];
  if (!(input instanceof z.ZodType)) throw new Error('the procedure has no zod input');
  return input;
}

const json = (schema: JsonSchema, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
const superjson = (schema: JsonSchema) => ({
  type: 'object',
  required: ['json'],
  properties: { json: schema, meta: { type: 'object', description: 'superjson type hints' } },
});
const errorBody = {
  type: 'object',
  required: ['error'],
  properties: { error: { type: 'string' } },
};

export function openApiDocument(options: { maxIdsPerCall: number }): JsonSchema {
  const completeInput = completeInputSchema(options.maxIdsPerCall);
  const completeResult = schemaOf(completeOrderResponseSchema.extend({ callId: z.string() }));
  const trpcError = {
    type: 'object',
    required: ['error'],
    properties: {
      error: superjson({
        type: 'object',
        properties: {
          message: { type: 'string' },
          code: { type: 'integer' },
          data: {
            type: 'object',
            properties: {
              code: { type: 'string' },
              httpStatus: { type: 'integer' },
              path: { type: 'string' },
              completion: {
                type: ['object', 'null'],
                description: 'Set when nothing completed: the code and the full response',
                properties: {
                  code: { enum: Object.values(completionErrorCodes) },
                  response: schemaOf(completeOrderResponseSchema),
                },
              },
              zodError: { type: ['object', 'null'], description: "zod's flattened field errors" },
            },
          },
        },
      }),
    },
  };
  const trpcResult = (data: JsonSchema) => ({
    type: 'object',
    properties: { result: { type: 'object', properties: { data: superjson(data) } } },
  });
  const auth = [{ bearer: [] }];
  const unauthorized = json(errorBody, 'Missing or unknown bearer token');
  const tooLarge = json(
    errorBody,
    'The body exceeds BODY_LIMIT_BYTES (answered before reading it)',
  );

  return {
    openapi: '3.1.0',
    info: {
      title: 'Order completion service',
      version: '0.1.0',
      description:
        'Completes orders in bulk. tRPC procedures are listed with their HTTP wire format; typed TypeScript clients use `createTRPCClient<AppRouter>` from `@ocs/api` with superjson instead.',
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'A token from AUTH_TOKENS' },
      },
    },
    paths: {
      '/orders': {
        post: {
          operationId: 'completeOrdersLegacy',
          summary: "Complete orders (the original service's route)",
          description: `A JSON array of order ids (1 to ${options.maxIdsPerCall}). 200 with every id's outcome; 400 when nothing completed, with the same body plus \`error\` and \`code\`.`,
          security: auth,
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: schemaOf(completeInput.shape.orderIds, 'input'),
                example: [1, 2, 3, 4, 5],
              },
            },
          },
          responses: {
            '200': json(completeResult, 'Every id with its outcome'),
            '400': json(
              {
                type: 'object',
                required: ['error'],
                properties: {
                  error: { type: 'string' },
                  code: { enum: Object.values(completionErrorCodes) },
                  details: { type: 'object', description: "zod's flattened errors (bad input)" },
                  ...(completeResult.properties as JsonSchema),
                },
              },
              'Bad input, or nothing completed (then with the response)',
            ),
            '401': unauthorized,
            '413': tooLarge,
          },
        },
      },
      '/trpc/orders.complete': {
        post: {
          operationId: 'ordersComplete',
          summary: 'tRPC mutation orders.complete (roles scheduler, admin)',
          security: auth,
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: superjson(schemaOf(completeInput, 'input')),
                example: { json: { orderIds: [1, 2, 3, 4, 5] } },
              },
            },
          },
          responses: {
            '200': json(trpcResult(completeResult), 'Every id with its outcome'),
            '400': json(trpcError, 'Bad input, or nothing completed (see data.completion)'),
            '401': json(trpcError, 'Missing or unknown bearer token'),
            '403': json(trpcError, 'The token has neither role'),
            '413': tooLarge,
          },
        },
      },
      '/trpc/orders.pendingCompletion': {
        get: {
          operationId: 'ordersPendingCompletion',
          summary: 'tRPC query orders.pendingCompletion: SUBMITTED ids, ascending, paged',
          security: auth,
          parameters: [
            {
              name: 'input',
              in: 'query',
              required: true,
              content: {
                'application/json': {
                  schema: superjson(
                    schemaOf(procedureInput(appRouter.orders.pendingCompletion), 'input'),
                  ),
                  example: { json: { limit: 100 } },
                },
              },
            },
          ],
          responses: {
            '200': json(
              trpcResult({
                type: 'object',
                properties: {
                  ids: { type: 'array', items: { type: 'integer' } },
                  nextCursor: { type: ['integer', 'null'] },
                },
              }),
              'A page of ids',
            ),
            '400': json(trpcError, 'Bad input'),
            '401': json(trpcError, 'Missing or unknown bearer token'),
          },
        },
      },
      '/healthz': {
        get: {
          operationId: 'healthz',
          summary: 'The process is up',
          responses: { '200': json({ type: 'object' }, 'Up') },
        },
      },
      '/readyz': {
        get: {
          operationId: 'readyz',
          summary: 'The database answers and the server is not shutting down',
          responses: {
            '200': json({ type: 'object' }, 'Ready'),
            '503': json({ type: 'object' }, 'Not ready, with the reason'),
          },
        },
      },
    },
  };
}
