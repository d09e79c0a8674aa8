/**
 * The Claude Code settings.json schema (CLAUDE-CODE.md §2.3–2.5). A type error
 * in settings.json makes Claude Code ignore the whole file, so every key whose
 * type we know is typed; unknown top-level keys and unknown `permissions` keys are
 * tolerated as Claude Code tolerates them, and the known-key lists below let a
 * separate warning rule flag typos.
 */
import {
  anyObject,
  arrayOf,
  boolean,
  closedObject,
  enumOf,
  settingsEnvMap,
  matching,
  MCP_SERVER_NAME,
  nonEmptyString,
  openObject,
  positiveInteger,
  SCHEMA_IDS,
  string,
  stringList,
  stringMap,
  withMessages,
  type Schema,
} from './common.js';

export const PERMISSION_MODES = ['default', 'acceptEdits', 'plan', 'auto', 'dontAsk', 'bypassPermissions'] as const;

export const HOOK_EVENTS = [
  'PreToolUse', 'PostToolUse', 'PostToolUseFailure', 'PostToolBatch', 'Notification', 'UserPromptSubmit',
  'UserPromptExpansion', 'SessionStart', 'SessionEnd', 'Stop', 'StopFailure', 'SubagentStart', 'SubagentStop',
  'PreCompact', 'PostCompact', 'PermissionRequest', 'PermissionDenied', 'Setup', 'TeammateIdle', 'TaskCreated',
  'TaskCompleted', 'Elicitation', 'ElicitationResult', 'ConfigChange', 'WorktreeCreate', 'WorktreeRemove',
  'InstructionsLoaded', 'CwdChanged', 'FileChanged', 'MessageDisplay',
  // Claude Code 2.1.332 (test/claude-verdict.test.ts: it takes them; 2.1.0 ignores a settings file that has them).
  'PreModelSwitch', 'PostModelSwitch', 'DirectoryAdded', 'PreSkillShellCommand',
] as const;

/** Keys Claude Code reads only from managed settings (§2.3). */
export const MANAGED_ONLY_SETTINGS_KEYS: ReadonlySet<string> = new Set([
  'allowManagedHooksOnly', 'allowManagedPermissionRulesOnly', 'allowManagedMcpServersOnly',
  'strictKnownMarketplaces', 'claudeMd', 'requiredMinimumVersion', 'requiredMaximumVersion',
]);

const PERMISSIONS_PROPERTIES: Record<string, Schema> = {
  allow: stringList,
  ask: stringList,
  deny: stringList,
  defaultMode: enumOf(PERMISSION_MODES),
  disableBypassPermissionsMode: { const: 'disable' },
  disableAutoMode: { const: 'disable' },
  additionalDirectories: stringList,
  // Claude Code 2.1.332.
  blockReadsOutsideWorkingDirectories: boolean,
  blockFileToolReadsOutsideWorkingDirectories: boolean,
  blockWritesOutsideWorkingDirectories: boolean,
  denyInsteadOfPrompting: boolean,
  blockReadsExemptPaths: stringList,
  workingDirectoriesAsGiven: stringList,
  workingDirectoriesExclude: stringList,
};
export const KNOWN_PERMISSIONS_KEYS: ReadonlySet<string> = new Set(Object.keys(PERMISSIONS_PROPERTIES));

// Simple-typed keys: §2.3, plus the boolean/string/string[] keys of the SchemaStore
// claude-code-settings.json schema, so a wrong type is caught before Claude Code drops the file.
const BOOLEAN_KEYS = [
  'disableAllHooks', 'includeCoAuthoredBy', 'enableAllProjectMcpServers', 'alwaysThinkingEnabled', 'autoMemoryEnabled',
  'respectGitignore', 'spinnerTipsEnabled', 'verbose', 'allowManagedHooksOnly', 'allowManagedPermissionRulesOnly',
  'allowManagedMcpServersOnly', 'includeGitInstructions', 'fastMode', 'fastModePerSessionOptIn', 'skipWebFetchPreflight',
  'terminalProgressBarEnabled', 'showTurnDuration', 'prefersReducedMotion', 'channelsEnabled', 'disableSkillShellExecution',
  'forceRemoteSettingsRefresh', 'showClearContextOnPlanAccept', 'showThinkingSummaries', 'skipDangerousModePermissionPrompt',
  'useAutoModeDuringPlan', 'voiceEnabled', 'wslInheritsWindowsSettings', 'autoCompactEnabled', 'disableAgentView',
  'enforceAvailableModels', 'fileCheckpointingEnabled', 'respondToBashCommands', 'wheelScrollAccelerationEnabled',
  'disableBundledSkills', 'awaySummaryEnabled', 'autoScrollEnabled', 'allowAllClaudeAiMcps', 'agentPushNotifEnabled',
  'axScreenReader', 'disableArtifact', 'disableClaudeAiConnectors', 'disableRemoteControl', 'disableWorkflows',
  'inputNeededNotifEnabled', 'remoteControlAtStartup', 'syntaxHighlightingDisabled', 'workflowKeywordTriggerEnabled',
  'enableArtifact', 'permissionExplainerEnabled', 'externalEditorContext', 'autoConnectIde', 'autoInstallIdeExtension',
  'emojiCompletionEnabled', 'disableSideloadFlags', 'disableBrowserExternalNavigation', 'disableMobileSimulatorTools',
  'requireCoworkFullVmSandbox',
];
const STRING_KEYS = [
  '$schema', 'apiKeyHelper', 'awsAuthRefresh', 'awsCredentialExport', 'gcpAuthRefresh', 'otelHeadersHelper', 'outputStyle',
  'language', 'agent', 'plansDirectory', 'claudeMd', 'requiredMinimumVersion', 'requiredMaximumVersion', 'prUrlTemplate',
  'pluginTrustMessage', 'autoMemoryDirectory', 'minimumVersion', 'advisorModel', 'processWrapper', 'forceLoginGatewayUrl',
];
const STRING_LIST_KEYS = [
  'availableModels', 'allowedHttpHookUrls', 'httpHookAllowedEnvVars', 'enabledMcpjsonServers', 'disabledMcpjsonServers',
  'companyAnnouncements', 'claudeMdExcludes', 'skippedMarketplaces', 'skippedPlugins', 'pluginSuggestionMarketplaces',
  'sshHostAllowlist',
];
// Known (SchemaStore) but not typed here: their shapes are not in CLAUDE-CODE.md.
const UNTYPED_KEYS = [
  'modelOverrides', 'feedbackSurveyRate', 'allowedChannelPlugins', 'fileSuggestion', 'forceLoginOrgUUID', 'spinnerVerbs',
  'spinnerTipsOverride', 'teammateMode', 'parentSettingsBehavior', 'pluginConfigs', 'blockedMarketplaces', 'autoMode',
  'defaultShell', 'disableDeepLinkRegistration', 'strictPluginOnlyCustomization', 'tui', 'viewMode', 'managedMcpServers',
  'skillListingMaxDescChars', 'preferredNotifChannel', 'skillListingBudgetFraction', 'sshConfigs', 'voice',
  'disableAutoMode', 'footerLinksRegexes', 'policyHelper', 'askUserQuestionTimeout', 'teammateDefaultModel',
  'workflowSizeGuideline', 'diffTool', 'vimInsertModeRemaps', 'browserExternalPageTools',
  // Read from the settings schema of Claude Code 2.1.197 (test/claude-code-keys.test.ts compares the two).
  'proxyAuthHelper', 'xaaIdp', 'breakReminder', 'quietHours', 'enableWorkflows', 'terminalTitleFromRename', 'ultracode',
  'autoCompactWindow', 'promptSuggestionEnabled', 'remote', 'doneMeansMerged', 'totalTokensReminder',
  'totalTokensReminderBudget', 'autoDreamEnabled', 'skipWorkflowUsageWarning', 'precomputeCompactionEnabled',
  'switchModelsOnFlag', 'showMessageTimestamps', 'todoFeatureEnabled', 'isolatePeerMachines', 'daemonColdStart',
  'autoUploadSessions', 'skipAutoPermissionPrompt', 'defaultView',
  // Read from the settings schema of Claude Code 2.1.332.
  'policyHelpers', 'desktopSessionCleanupPeriodDays', 'syncClaudeAiSkills', 'syncClaudeAiPlugins', 'attributionProject',
  'attributionProjectPolicy', 'additionalDirectoryConfigRoots', 'availableModelsMatch', 'deniedModels', 'modelPicker',
  'modelPricing', 'modelCatalogUrl', 'modelCatalogPublicKey', 'disableReplyCheck', 'disableWindowsBashCommandSplit',
  'bashEditDiffEnabled', 'bashOutputMaxChars', 'taskOutputMaxChars', 'desktopMcpServersListScope',
  'allowClaudeInChromeWithManagedMcp', 'prependPlugins', 'appendPlugins', 'additionalMarketplaces', 'allowedMarketplaces',
  'disableCommandPluginSources', 'gatewayInternalNetworks', 'managedSourcesBehavior', 'allowNestedModelAccessUnderForceLogin',
  'allowedProviders', 'feedbackDrafts', 'clawdFileProgressEnabled', 'maxProseWidth', 'spellcheck', 'promptCacheTtl',
  'subagentPromptCacheTtl', 'maxEffortLevel', 'modelSettings', 'responseComparisonEnabled', 'dialogExpiry',
  'modelProposedGoals', 'downloadsMirrorUrl', 'timeFormat', 'timeZone', 'totalTokensReminderAfterUserTurn', 'remoteTools',
  'sshHostCommands', 'keybindingFlavor', 'precomputeArmTokens', 'autoCompactRaisedForLoad', 'autoCompactOfferAnswer',
  'idleCompaction', 'autoContinueAtUsageLimit', 'remoteControl', 'crossSessionInbound', 'remoteMessageReceipts',
];

const THEMES = ['auto', 'dark', 'light', 'dark-daltonized', 'light-daltonized', 'dark-ansi', 'light-ansi'];

/**
 * Settings whose bad value Claude Code drops alone (its schema has
 * `.catch(undefined)`), keeping the rest of the file: not a schema error but
 * a warning (rules/documents.ts), with what it takes.
 */
export const DROPPED_WHEN_BAD: Readonly<Record<string, { readonly takes: (v: unknown) => boolean; readonly what: string }>> = {
  effortLevel: { takes: (v) => ['low', 'medium', 'high', 'xhigh'].includes(v as string), what: 'low, medium, high or xhigh' },
  theme: { takes: (v) => THEMES.includes(v as string) || (typeof v === 'string' && /^custom:.+/.test(v)), what: `${THEMES.join(', ')}, or custom:<name>` },
};

const hookCommon: Record<string, Schema> = {
  timeout: { type: 'number', exclusiveMinimum: 0 },
  if: string,
  statusMessage: string,
  once: boolean,
};
/** Known to Claude Code 2.1.332, with shapes it does not document: kept as written. */
const hookUntyped: Record<string, Schema> = { cloud: {}, holdsTools: {} };
const onFailure = enumOf(['continue', 'block']);

/**
 * Hook handlers by `type` (§2.5), with the keys Claude Code's own schema has
 * (2.1.0 to 2.1.332; test/claude-code-keys.test.ts compares them); timeouts
 * are in seconds. Claude Code ignores a key it does not know (a handler's
 * `description`), so does validate: a look-alike of a known key is a
 * warning (rules/documents.ts).
 */
export const HOOK_TYPES: Record<string, Record<string, Schema>> = {
  command: {
    type: string, command: string, args: stringList, async: boolean, asyncRewake: boolean,
    rewakeMessage: nonEmptyString, rewakeSummary: nonEmptyString, shell: enumOf(['bash', 'powershell']), onFailure,
    ...hookCommon, ...hookUntyped,
  },
  prompt: { type: string, prompt: nonEmptyString, model: string, continueOnBlock: boolean, ...hookCommon },
  agent: { type: string, prompt: nonEmptyString, model: string, ...hookCommon },
  http: { type: string, url: nonEmptyString, headers: stringMap, allowedEnvVars: stringList, onFailure, ...hookCommon, ...hookUntyped },
  mcp_tool: { type: string, server: nonEmptyString, tool: nonEmptyString, input: anyObject, onFailure, ...hookCommon },
};
const HOOK_REQUIRED: Record<string, readonly string[]> = { command: ['command'], prompt: ['prompt'], agent: ['prompt'], http: ['url'], mcp_tool: ['server', 'tool'] };

const hookHandler: Schema = {
  type: 'object',
  required: ['type'],
  properties: { type: enumOf(Object.keys(HOOK_TYPES)) },
  allOf: Object.entries(HOOK_TYPES).map(([type, properties]) => ({
    if: { required: ['type'], properties: { type: { const: type } } },
    then: openObject(properties, HOOK_REQUIRED[type]),
  })),
};

export const MATCHER_GROUP_KEYS: readonly string[] = ['matcher', 'hooks'];
const matcherGroup = openObject({ matcher: string, hooks: arrayOf(hookHandler) }, ['hooks']);

const hooks = withMessages(
  { type: 'object', propertyNames: { enum: [...HOOK_EVENTS] }, additionalProperties: arrayOf(matcherGroup) },
  { propertyNames: 'unknown hook event %s' },
);

const mcpServerRule = withMessages(
  {
    ...closedObject({
      serverName: matching(MCP_SERVER_NAME.pattern, 'must be an MCP server name: letters, digits, "-" and "_"'),
      serverCommand: { type: 'array', items: string, minItems: 1 },
      serverUrl: nonEmptyString,
    }),
    oneOf: [{ required: ['serverName'] }, { required: ['serverCommand'] }, { required: ['serverUrl'] }],
  },
  { oneOf: 'must have exactly one of: serverName, serverCommand, serverUrl' },
);

const statusLine = openObject({
  type: { const: 'command' }, command: nonEmptyString, padding: { type: 'number' },
  refreshInterval: positiveInteger, hideVimModeIndicator: boolean,
});

/** The settings objects whose keys Claude Code knows and whose other keys it ignores: a look-alike is a warning (rules/documents.ts). */
export const SETTINGS_OBJECT_KEYS: Readonly<Record<string, readonly string[]>> = {
  statusLine: Object.keys(statusLine.properties as Schema),
  subagentStatusLine: Object.keys(statusLine.properties as Schema),
  attribution: ['commit', 'pr', 'sessionUrl'],
};

/** One pattern per value type for the many simple keys: ajv compiles three checks instead of a hundred. */
const keysPattern = (keys: readonly string[]): string => `^(${keys.map((key) => key.replace(/\$/g, '\\$')).join('|')})$`;

/**
 * The settings object as a layer may hold it. Array items (hooks, MCP server
 * rules) are whole values and so always complete; `completeSettings` adds
 * what the merged tree must have on top.
 */
export function settingsSchema(): Schema {
  return {
    type: 'object',
    patternProperties: {
      [keysPattern(BOOLEAN_KEYS)]: boolean,
      [keysPattern(STRING_KEYS)]: string,
      [keysPattern(STRING_LIST_KEYS)]: stringList,
    },
    properties: {
      model: string,
      fallbackModel: { type: 'array', items: string, maxItems: 3 },
      permissions: { type: 'object', properties: PERMISSIONS_PROPERTIES },
      env: settingsEnvMap,
      hooks,
      cleanupPeriodDays: positiveInteger,
      attribution: openObject({ commit: string, pr: string, sessionUrl: boolean }),
      statusLine,
      subagentStatusLine: statusLine,
      allowedMcpServers: arrayOf(mcpServerRule),
      deniedMcpServers: arrayOf(mcpServerRule),
      editorMode: enumOf(['normal', 'vim']),
      autoUpdatesChannel: enumOf(['stable', 'latest']),
      forceLoginMethod: enumOf(['claudeai', 'console']),
      sandbox: anyObject,
      worktree: anyObject,
      enabledPlugins: { type: 'object', additionalProperties: { type: ['boolean', 'array'], items: string } },
      extraKnownMarketplaces: { type: 'object', additionalProperties: anyObject },
      strictKnownMarketplaces: arrayOf(anyObject),
      skillOverrides: { type: 'object', additionalProperties: enumOf(['on', 'name-only', 'user-invocable-only', 'off']) },
    },
  };
}

/** Settings in the merged tree: a status line needs its type and command. */
const completeSettings: Schema = {
  allOf: [
    { $ref: SCHEMA_IDS.settings },
    { properties: { statusLine: { required: ['type', 'command'] }, subagentStatusLine: { required: ['type', 'command'] } } },
  ],
};

/** Settings in a layer (the shared schema) or in the merged tree. */
export function settingsRef(complete: boolean): Schema {
  return complete ? completeSettings : { $ref: SCHEMA_IDS.settings };
}

/** Every top-level settings key we know (§2.3 and SchemaStore), for the unknown-key warning. */
export const KNOWN_SETTINGS_KEYS: ReadonlySet<string> = new Set([
  ...BOOLEAN_KEYS,
  ...STRING_KEYS,
  ...STRING_LIST_KEYS,
  ...Object.keys(settingsSchema().properties as Schema),
  ...UNTYPED_KEYS,
  ...Object.keys(DROPPED_WHEN_BAD),
]);
