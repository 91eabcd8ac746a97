import type { ResultOf } from '../../sdk/index.ts';
import type { ImageDetailQuery, ExplanationNodesQuery, ImagesPageQuery, JobFields, PortalModelsQuery, PredictionSummary } from './documents.ts';

export type Job = ResultOf<typeof JobFields>;
export type Prediction = ResultOf<typeof PredictionSummary>;
export type ImageRow = ResultOf<typeof ImagesPageQuery>['images']['edges'][number]['node'];
export type ImageDetail = NonNullable<ResultOf<typeof ImageDetailQuery>['image']>;
export type ExplanationDetail = Extract<NonNullable<ResultOf<typeof ExplanationNodesQuery>['nodes'][number]>, { method: unknown }>;
export type Model = ResultOf<typeof PortalModelsQuery>['models']['edges'][number]['node'];
export type Method = Job['method'];
export type Status = Job['status'];
