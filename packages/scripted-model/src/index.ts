// Placeholder until the scripted model lands; keeps the CLI compiling.
export interface ScriptedModelOptions {
  port?: number;
  host?: string;
}
export interface ScriptedModel {
  url: string;
  port: number;
  close(): Promise<void>;
}
export async function createScriptedModel(
  _options: ScriptedModelOptions = {},
): Promise<ScriptedModel> {
  throw new Error('not implemented yet');
}
