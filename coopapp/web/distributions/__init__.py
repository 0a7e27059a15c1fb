"""Distribution plans (收益分配): the secretary drafts, approves, publishes and reverses; reviewers read."""
