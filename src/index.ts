// No public API: the plugin is used through its commands.
export default {};
