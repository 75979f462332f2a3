<?php

declare(strict_types=1);

namespace Glyphveil;

/** The key is missing or malformed; the message never contains the key. */
class KeyConfigError extends TokenError
{
}
