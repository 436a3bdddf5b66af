"""KPI formulas (pure), rollups, dashboards, hot spots and early warning, reports and exports."""
