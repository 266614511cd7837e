/** GetDataEndpoint: every API is served by this server, so the answer is its own base URL. */
import { VideoSchemas, type VideoOutput } from '../schemas.js';
import { videoAction } from './define.js';

export const getDataEndpoint = videoAction('/getDataEndpoint', VideoSchemas.GetDataEndpoint, async (svc, input, ctx): Promise<VideoOutput<'GetDataEndpoint'>> => {
  svc.require(input);
  return { DataEndpoint: ctx.baseUrl };
});
