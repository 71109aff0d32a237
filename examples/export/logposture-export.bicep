// Posture in your own workspace: two custom tables, a data collection endpoint and a rule
// whose streams logposture sends to (`logposture export` / `scan --export`), and the role the
// scanning identity needs on the rule. Deploy into the workspace's resource group:
//
//   az deployment group create -g <rg> -f logposture-export.bicep \
//     -p workspaceName=<workspace> scannerPrincipalId=<object id of the scanning identity>
//
// then run logposture with the outputs:
//   --ingestion-endpoint <ingestionEndpoint> --dcr-id <dcrImmutableId>
//
// The stream columns below are the ones logposture writes (src/export_cmd.rs); tests/export.rs
// reads this file, so a column added on one side and not the other fails a test.

@description('Name of the existing Log Analytics workspace')
param workspaceName string

@description('Region of the workspace (the endpoint and the rule must be in it)')
param location string = resourceGroup().location

@description('Object (principal) id of the identity that runs logposture')
param scannerPrincipalId string

@description('Days the tables keep rows interactively (posture history is small: keep it long)')
param retentionDays int = 365

resource workspace 'Microsoft.OperationalInsights/workspaces@2022-10-01' existing = {
  name: workspaceName
}

var findingsColumns = [
  { name: 'TimeGenerated', type: 'datetime' }
  { name: 'RunId', type: 'string' }
  { name: 'TenantId', type: 'string' }
  { name: 'FindingUid', type: 'string' }
  { name: 'CheckId', type: 'string' }
  { name: 'Title', type: 'string' }
  { name: 'Severity', type: 'string' }
  { name: 'Status', type: 'string' }
  { name: 'Area', type: 'string' }
  { name: 'SubscriptionId', type: 'string' }
  { name: 'SubscriptionName', type: 'string' }
  { name: 'ResourceId', type: 'string' }
  { name: 'ResourceGroup', type: 'string' }
  { name: 'ResourceName', type: 'string' }
  { name: 'Location', type: 'string' }
  { name: 'Message', type: 'string' }
  { name: 'CostPerMonth', type: 'real' }
  { name: 'Currency', type: 'string' }
  { name: 'FailingSince', type: 'datetime' }
  { name: 'Tags', type: 'dynamic' }
  { name: 'Baseline', type: 'string' }
]

var runsColumns = [
  { name: 'TimeGenerated', type: 'datetime' }
  { name: 'RunId', type: 'string' }
  { name: 'TenantId', type: 'string' }
  { name: 'StartedAt', type: 'datetime' }
  { name: 'ToolVersion', type: 'string' }
  { name: 'Baseline', type: 'string' }
  { name: 'BaselineSha256', type: 'string' }
  { name: 'ManagementGroup', type: 'string' }
  { name: 'Shard', type: 'string' }
  { name: 'SubscriptionsInScope', type: 'int' }
  { name: 'SubscriptionsRead', type: 'int' }
  { name: 'Findings', type: 'int' }
  { name: 'Pass', type: 'int' }
  { name: 'Fail', type: 'int' }
  { name: 'NotAssessed', type: 'int' }
  { name: 'NotApplicable', type: 'int' }
  { name: 'Suppressed', type: 'int' }
  { name: 'CostToClosePerMonth', type: 'real' }
  { name: 'Currency', type: 'string' }
]

resource findingsTable 'Microsoft.OperationalInsights/workspaces/tables@2022-10-01' = {
  parent: workspace
  name: 'LogpostureFindings_CL'
  properties: {
    plan: 'Analytics'
    retentionInDays: retentionDays
    schema: {
      name: 'LogpostureFindings_CL'
      columns: findingsColumns
    }
  }
}

resource runsTable 'Microsoft.OperationalInsights/workspaces/tables@2022-10-01' = {
  parent: workspace
  name: 'LogpostureRuns_CL'
  properties: {
    plan: 'Analytics'
    retentionInDays: retentionDays
    schema: {
      name: 'LogpostureRuns_CL'
      columns: runsColumns
    }
  }
}

resource endpoint 'Microsoft.Insights/dataCollectionEndpoints@2022-06-01' = {
  name: 'dce-logposture'
  location: location
  properties: {
    networkAcls: {
      publicNetworkAccess: 'Enabled'
    }
  }
}

resource rule 'Microsoft.Insights/dataCollectionRules@2022-06-01' = {
  name: 'dcr-logposture'
  location: location
  properties: {
    dataCollectionEndpointId: endpoint.id
    streamDeclarations: {
      'Custom-LogpostureFindings_CL': {
        columns: findingsColumns
      }
      'Custom-LogpostureRuns_CL': {
        columns: runsColumns
      }
    }
    destinations: {
      logAnalytics: [
        {
          workspaceResourceId: workspace.id
          name: 'posture'
        }
      ]
    }
    dataFlows: [
      {
        streams: ['Custom-LogpostureFindings_CL']
        destinations: ['posture']
        transformKql: 'source'
        outputStream: 'Custom-LogpostureFindings_CL'
      }
      {
        streams: ['Custom-LogpostureRuns_CL']
        destinations: ['posture']
        transformKql: 'source'
        outputStream: 'Custom-LogpostureRuns_CL'
      }
    ]
  }
  dependsOn: [findingsTable, runsTable]
}

// Monitoring Metrics Publisher: what the Logs Ingestion API asks of the caller, on the rule.
resource publisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(rule.id, scannerPrincipalId, '3913510d-42f4-4e42-8a64-420c390055eb')
  scope: rule
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '3913510d-42f4-4e42-8a64-420c390055eb')
    principalId: scannerPrincipalId
  }
}

output ingestionEndpoint string = endpoint.properties.logsIngestion.endpoint
output dcrImmutableId string = rule.properties.immutableId
