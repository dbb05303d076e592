// Elasticsearch / OpenSearch output (`_bulk` create into a data stream or index).
import type { ComponentDef, Output } from '../../pipeline/types.js';
import { elasticsearchSchema, type ElasticsearchConfig } from './config.js';
import { ElasticsearchOutput } from './sink.js';

export { ElasticsearchOutput } from './sink.js';
export { elasticsearchSchema, resolveElasticsearchConfig, type ElasticsearchConfig } from './config.js';
export { documentId, bulkItem, parseBulkResponse, indexTemplate, classify } from './request.js';

export const elasticsearchOutput: ComponentDef<Output> = {
  type: 'elasticsearch',
  schema: elasticsearchSchema as unknown as Record<string, unknown>,
  build: (config: ElasticsearchConfig, ctx) => new ElasticsearchOutput(config, ctx),
};
