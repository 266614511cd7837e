/** The agent's durable buffer: the surface the rest of the agent imports. */
export { LevelBuffer, type LevelBufferOptions } from './level-buffer.js';
export { dropReport, type DropReportBody, type DropReportOptions } from './drop-report.js';
