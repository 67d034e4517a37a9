using Crm.Core.Automation;
using Crm.Core.Security;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Benchmarks;

/// <summary>The starter templates ship automation rules; benchmarks of other things archive them so that the
/// records they create or load are not reassigned or given tasks while being measured.</summary>
internal static class TemplateRules
{
    public static async Task ArchiveAsync(IServiceProvider services, Actor actor)
    {
        var rules = services.GetRequiredService<AutomationRuleService>();
        foreach (var rule in await rules.ListAsync(actor))
            await rules.SetStateAsync(actor, rule.Id, enabled: false, archived: true);
    }
}
