"""Standard Webhooks signatures: signing each attempt (`sign`) and checking one as a receiver does (`verify`)."""
