"""Reports residents file from a door plate's public page (/p/<token>) without an account: 我住这里
(a floating resident's self-declaration), 单位信息变更 and 门牌问题. Each is a Submission of a public
kind that goes through its review chain; the reporter keeps a receipt to follow its state."""
