"""The sweep report: the page, its sections (comparison, breakdown, designs, uncertainty, finding), tables
and the shared chart helpers."""
