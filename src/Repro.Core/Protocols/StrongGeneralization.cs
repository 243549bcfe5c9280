using Repro.Core.Data;
using Repro.Core.Sparse;

namespace Repro.Core.Protocols;

/// <summary>The notebook's strong-generalisation split (spec §1.2, NB cells 17–27), reproduced draw for draw.</summary>
public static class StrongGeneralization
{
    /// <summary>
    /// Splits a preprocessed log. Steps, as in the notebook: users in ascending original id are
    /// permuted with <c>np.random.seed(seed); np.random.permutation(n_users)</c>; the last H are test,
    /// the H before them validation, the rest training (cell 17). The vocabulary is the training
    /// users' items in order of first appearance (cell 18). Held-out events with items outside it are
    /// dropped (cell 19), then each held-out set is split by <see cref="SplitFoldInAndTarget"/>.
    /// </summary>
    public static StrongGeneralizationSplit Split(InteractionLog log, HeldOutUsers heldOut)
    {
        int n = log.Count;
        var users = log.Users;
        var items = log.Items;

        // unique_uid = user_activity.index: the users that have events, ascending original id (= code order).
        var userEvents = new int[log.UserCount];
        for (int k = 0; k < n; k++) userEvents[users[k]]++;
        int userCount = 0;
        for (int u = 0; u < userEvents.Length; u++) if (userEvents[u] > 0) userCount++;
        int h = heldOut.Count;
        int trainUsers = userCount - 2 * h;
        if (userCount == 0)
            throw new ArgumentException(
                $"{log.Source}: no user is left after preprocessing: the rating threshold and the minimum items per user (and per item) removed every user; lower them (--min-rating, --min-items-per-user, --min-users-per-item) or check which column holds the ratings");
        if (trainUsers < 1)
            throw new ArgumentException(
                $"{log.Source}: {h} validation + {h} test users leave no training users among the {userCount} users left after preprocessing; hold out at most {Math.Max(0, (userCount - 1) / 2)} users per set");
        var usersAscending = new int[userCount];
        for (int u = 0, w = 0; u < userEvents.Length; u++) if (userEvents[u] > 0) usersAscending[w++] = u;

        // uid of each user code: its position in the shuffled order (profile2id, cell 21); -1 if absent.
        var rng = new NumpyRandomState(heldOut.Seed);
        var permutation = rng.Permutation(userCount);
        var uidOf = new int[log.UserCount];
        Array.Fill(uidOf, -1);
        var userOfUid = new int[userCount];
        for (int p = 0; p < userCount; p++)
        {
            int u = usersAscending[permutation[p]];
            uidOf[u] = p;
            userOfUid[p] = u;
        }

        // Vocabulary: pd.unique(train_plays['movieId']), first appearance in file order (cell 18).
        var vocabularyIndex = new int[log.ItemCount];
        Array.Fill(vocabularyIndex, -1);
        int vocabularySize = 0;
        var trainRowStart = new int[trainUsers + 1];
        for (int k = 0; k < n; k++)
        {
            int uid = uidOf[users[k]];
            if (uid >= trainUsers) continue;
            trainRowStart[uid + 1]++;
            if (vocabularyIndex[items[k]] < 0) vocabularyIndex[items[k]] = vocabularySize++;
        }
        var itemIds = new string[vocabularySize];
        for (int i = 0; i < vocabularyIndex.Length; i++) if (vocabularyIndex[i] >= 0) itemIds[vocabularyIndex[i]] = log.ItemIds[i];

        // Training matrix by a stable counting sort on uid; remember where each file-order event went.
        for (int r = 0; r < trainUsers; r++) trainRowStart[r + 1] += trainRowStart[r];
        var trainColumns = new int[trainRowStart[trainUsers]];
        var trainFileOrder = new int[trainColumns.Length];
        var nextTrain = trainRowStart.AsSpan(0, trainUsers).ToArray();
        for (int k = 0, t = 0; k < n; k++)
        {
            int uid = uidOf[users[k]];
            if (uid >= trainUsers) continue;
            int entry = nextTrain[uid]++;
            trainColumns[entry] = vocabularyIndex[items[k]];
            trainFileOrder[t++] = entry;
        }
        var train = new CsrMatrix(trainUsers, vocabularySize, trainRowStart, trainColumns);

        // Held-out events with vocabulary items, grouped by uid - trainUsers (validation rows, then test rows), file order kept.
        int heldOutRows = 2 * h;
        var heldOutStart = new int[heldOutRows + 1];
        for (int k = 0; k < n; k++)
        {
            int uid = uidOf[users[k]];
            if (uid >= trainUsers && vocabularyIndex[items[k]] >= 0) heldOutStart[uid - trainUsers + 1]++;
        }
        for (int r = 0; r < heldOutRows; r++) heldOutStart[r + 1] += heldOutStart[r];
        var heldOutColumns = new int[heldOutStart[heldOutRows]];
        var nextHeldOut = heldOutStart.AsSpan(0, heldOutRows).ToArray();
        for (int k = 0; k < n; k++)
        {
            int uid = uidOf[users[k]];
            if (uid < trainUsers) continue;
            int column = vocabularyIndex[items[k]];
            if (column >= 0) heldOutColumns[nextHeldOut[uid - trainUsers]++] = column;
        }

        var trainUserIds = new string[trainUsers];
        for (int uid = 0; uid < trainUsers; uid++) trainUserIds[uid] = log.UserIds[userOfUid[uid]];
        var validation = SplitFoldInAndTarget(heldOutStart, heldOutColumns, 0, h, trainUsers, vocabularySize, userOfUid, log.UserIds, heldOut);
        var test = SplitFoldInAndTarget(heldOutStart, heldOutColumns, h, h, trainUsers + h, vocabularySize, userOfUid, log.UserIds, heldOut);
        return new StrongGeneralizationSplit(itemIds, train, trainFileOrder, trainUserIds, validation, test);
    }

    /// <summary>
    /// <c>split_train_test_proportion</c> (cell 22) for one held-out set: re-seed, then for each user
    /// in ascending original id with n ≥ 5 events mark <c>choice(n, int(0.2 n), replace=False)</c>
    /// of its file-ordered events as targets; users with fewer events keep everything as fold-in.
    /// </summary>
    private static HeldOutSet SplitFoldInAndTarget(int[] heldOutStart, int[] heldOutColumns, int firstRow, int rows,
                                                   int firstUid, int columns, int[] userOfUid, string[] userIdText, HeldOutUsers heldOut)
    {
        // groupby('userId') order: rows sorted by user code, i.e. by original id.
        var fileUserOrder = new int[rows];
        for (int r = 0; r < rows; r++) fileUserOrder[r] = r;
        var userCodes = new int[rows];
        for (int r = 0; r < rows; r++) userCodes[r] = userOfUid[firstUid + r];
        Array.Sort(userCodes, fileUserOrder);

        var foldInStart = new int[rows + 1];
        var targetStart = new int[rows + 1];
        int longest = 0;
        for (int r = 0; r < rows; r++)
        {
            int events = heldOutStart[firstRow + r + 1] - heldOutStart[firstRow + r];
            int targets = heldOut.TargetsFor(events);
            targetStart[r + 1] = targetStart[r] + targets;
            foldInStart[r + 1] = foldInStart[r] + events - targets;
            longest = Math.Max(longest, events);
        }
        var foldInColumns = new int[foldInStart[rows]];
        var targetColumns = new int[targetStart[rows]];

        var rng = new NumpyRandomState(heldOut.Seed);
        var shuffled = new int[longest];
        var isTarget = new bool[longest];
        foreach (int r in fileUserOrder)
        {
            int start = heldOutStart[firstRow + r], events = heldOutStart[firstRow + r + 1] - start;
            int targets = targetStart[r + 1] - targetStart[r];
            var mark = isTarget.AsSpan(0, events);
            mark.Clear();
            if (targets > 0)
            {
                // choice(n, k, replace=False) = permutation(n)[:k]; the full shuffle is drawn either way.
                var positions = shuffled.AsSpan(0, events);
                rng.Permutation(positions);
                foreach (int p in positions[..targets]) mark[p] = true;
            }
            int f = foldInStart[r], t = targetStart[r];
            for (int p = 0; p < events; p++)
            {
                int column = heldOutColumns[start + p];
                if (mark[p]) targetColumns[t++] = column;
                else foldInColumns[f++] = column;
            }
        }

        var userIds = new string[rows];
        for (int r = 0; r < rows; r++) userIds[r] = userIdText[userOfUid[firstUid + r]];
        return new HeldOutSet(new CsrMatrix(rows, columns, foldInStart, foldInColumns),
                              new CsrMatrix(rows, columns, targetStart, targetColumns),
                              firstUid, fileUserOrder, userIds);
    }
}
