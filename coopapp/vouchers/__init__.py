"""Original vouchers (原始凭证): files checked and cleaned (`files`), kept outside the database
(`storage`), attached to and removed from entries (`operations`)."""
