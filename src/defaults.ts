/** Default file names, kept apart so the CLI can show them in --help without loading the config schema. */
export const DEFAULT_CONFIG_PATH = 'devenv.config.json';
export const DEFAULT_STATE_PATH = 'devenv.state.json';
